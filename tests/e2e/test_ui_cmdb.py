"""An agent finds a PLC in the CMDB, opens the core switch and follows its impact map to a line."""

from __future__ import annotations

import os
import re
from typing import Any

from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login


def test_agent_filters_cis_and_follows_the_impact_map(page: Any, server: LiveServer) -> None:
    login(page, "mmueller")
    page.get_by_role("link", name="CMDB", exact=True).click()
    expect(page.get_by_role("heading", name="Configuration items")).to_be_visible()
    page.get_by_label("Class").select_option("plc")
    expect(page).to_have_url(re.compile(r"ci_class=plc"))
    expect(page.get_by_role("link", name="BER-L1-PLC01")).to_be_visible()
    expect(page.get_by_role("link", name="BER-SW-CORE1")).to_have_count(0)

    page.get_by_label("Class").select_option("")
    page.get_by_label("Search").fill("SW-CORE1")
    page.get_by_role("link", name="BER-SW-CORE1").click()
    expect(page.get_by_role("heading", name="BER-SW-CORE1", exact=True)).to_be_visible()
    affected = page.get_by_label("Lines and services affected")
    expect(affected.get_by_role("link", name="BER-L3", exact=True)).to_be_visible()
    expect(affected.get_by_role("link", name="SVC-BER-BATCH")).to_be_visible()
    impact_map = page.locator("svg.impact-map")
    expect(impact_map.locator('a[data-ci="BER-L3"]')).to_be_visible()
    if os.environ.get("PLANTDESK_SCREENSHOTS"):
        page.locator("#impact").screenshot(path=os.path.join(os.environ["PLANTDESK_SCREENSHOTS"], "impact-map.png"))
        page.screenshot(path=os.path.join(os.environ["PLANTDESK_SCREENSHOTS"], "ci-page.png"), full_page=True)

    impact_map.locator('a[data-ci="BER-L3"]').click()
    expect(page).to_have_url(re.compile(r"/cmdb/BER-L3/$"))
    expect(page.get_by_role("heading", name="BER-L3", exact=True)).to_be_visible()

    page.get_by_role("link", name="Needs (upstream)").click()
    expect(page.get_by_role("heading", name="What BER-L3 needs")).to_be_visible()
    expect(page.locator('svg.impact-map a[data-ci="SVC-BER-BATCH"]')).to_be_visible()


def test_agent_creates_a_plc_with_its_class_attributes_then_previews_an_import(
    page: Any, server: LiveServer, tmp_path: Any
) -> None:
    login(page, "mmueller")
    page.goto(f"{server.base_url}/cmdb/")
    page.get_by_role("link", name="New CI").click()
    expect(page.get_by_text("Choose a class to see its attributes.")).to_be_visible()
    page.locator("#id_ci_class").select_option("plc")
    expect(page.get_by_role("group", name="PLC attributes")).to_be_visible()  # swapped in by HTMX
    page.get_by_label("Name").fill("BER-L4-PLC09")
    page.get_by_label("Site").select_option("ber")
    page.get_by_label("Vendor").fill("Siemens")
    page.get_by_label("Model").fill("S7-1200")
    page.get_by_label("Aliases").fill("BER-Plant/EdgeNode1/L4PLC09")
    page.get_by_role("button", name="Create configuration item").click()
    expect(page.get_by_role("heading", name="BER-L4-PLC09", exact=True)).to_be_visible()
    expect(page.get_by_text("S7-1200")).to_be_visible()
    page.get_by_role("tab", name="History").click()
    expect(page.get_by_role("cell", name="Siemens", exact=False).first).to_be_visible()

    csv_file = tmp_path / "hmis.csv"
    csv_file.write_text("name,ci_class,site,rel:depends_on\nBER-L4-HMI09,hmi,ber,BER-L4-PLC09\n")
    page.goto(f"{server.base_url}/cmdb/import/")
    page.get_by_label("File").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="Preview: nothing was written yet")).to_be_visible()
    page.get_by_label("File").set_input_files(str(csv_file))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible()
    page.get_by_role("link", name="BER-L4-HMI09").click()
    expect(page.get_by_role("link", name="BER-L4-PLC09").first).to_be_visible()
