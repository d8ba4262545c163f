"""An OT engineer opens the line-3 PLC in the CMDB: the impact shown is its own line and the service that
line serves, nothing behind SCADA or the gateway (issue 13, point 6), at both laptop widths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login

LINE3 = {"BER-L3-C1", "BER-L3-HMI01", "BER-L3", "SVC-BER-STERILE"}


@pytest.fixture(params=[1366, 1024], ids=lambda width: f"{width}px")
def width(request: Any) -> int:
    return int(request.param)


@pytest.fixture
def sized_page(browser: Any, server: LiveServer, width: int) -> Iterator[Any]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_the_line3_plc_impacts_exactly_its_line_and_the_service_it_serves(sized_page: Any, width: int) -> None:
    page = sized_page
    login(page, "okoch")
    page.goto("/cmdb/BER-L3-PLC01/")
    expect(page.get_by_role("heading", name="Impact if BER-L3-PLC01 fails")).to_be_visible()

    impact_map = page.locator("svg.impact-map")
    root = impact_map.locator(".map-root")
    expect(root).to_have_attribute("data-ci", "BER-L3-PLC01")
    shown = impact_map.locator(".map-node:not(.map-root)")
    expect(shown).to_have_count(len(LINE3))
    assert {shown.nth(n).get_attribute("data-ci") for n in range(shown.count())} == LINE3
    expect(page.get_by_text("4 CIs impacted")).to_be_visible()

    affected = page.get_by_label("Lines and services affected")
    chips = affected.get_by_role("link")
    expect(chips).to_have_text(["BER-L3", "SVC-BER-STERILE"])
    expect(page.locator("[data-stopped-by]")).to_have_count(0)  # the whole answer fits the map: no note
    if os.environ.get("PLANTDESK_SCREENSHOTS"):
        path = os.path.join(os.environ["PLANTDESK_SCREENSHOTS"], f"impact-line3-plc-{width}.png")
        page.screenshot(path=path, full_page=True)

    # Its links to SCADA and the gateway are listed as relationships, yet their failure stops no line.
    page.goto("/cmdb/BER-SCADA01/")
    expect(page.get_by_text("Nothing recorded in the CMDB depends on BER-SCADA01.")).to_be_visible()
