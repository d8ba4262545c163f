"""A German user in the browser: sets German on their settings page (reached from their name in the top bar),
reads German labels and German dates, types `24.12.2026 06:00` into a change's planned start on the Berlin
plant, and the change shows 24.12.2026 06:00 with the Berlin zone named, while the API says 05:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api, unique

PASSWORD = "plantdesk-e2e-locale"


def _berlin_agent(server: LiveServer) -> str:
    """A person of their own (the demo's people keep their English for the other browser tests)."""
    username = unique("de").replace(" ", "-")
    server.cli("user", "add", username, "--role", "agent", "--site", "ber", "--group", "MES Support",
               input=PASSWORD + "\n")  # fmt: skip
    return username


@pytest.mark.parametrize("width", [1366, 1024])
def test_a_german_user_reads_and_types_german_dates(browser: Any, server: LiveServer, width: int) -> None:
    username = _berlin_agent(server)
    context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 900}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, username, PASSWORD)
        expect(page.locator("html")).to_have_attribute("lang", "en")

        # The name in the top bar leads to the settings; German is chosen there.
        page.get_by_role("link", name=username, exact=True).click()
        page.get_by_label("Language").select_option("de")
        page.get_by_role("button", name="Save settings").click()
        expect(page.locator(".flash-list")).to_contain_text("Ihre Einstellungen sind gespeichert.")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", name="Einstellungen")).to_be_visible()
        expect(page.locator(".mainnav")).to_contain_text("Warteschlange")

        # A change planned in German: the date input hints the German format and takes it.
        title = unique("SPS Linie 3 patchen")
        page.goto("/changes/new/")
        start = page.get_by_label("Geplanter Beginn")
        expect(start).to_have_attribute("placeholder", "TT.MM.JJJJ hh:mm")
        expect(start).to_have_attribute("type", "text")
        page.get_by_label("Kurzbeschreibung").fill(title)
        page.get_by_label("Betroffene Konfigurationselemente").fill("BER-MES-APP01")
        start.fill("24.12.2026 06:00")
        page.get_by_label("Geplantes Ende").fill("24.12.2026 08:00")
        page.get_by_role("button", name="Änderung anlegen").click()
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        expect(page.locator(".record-meta").first).to_contain_text("24.12.2026 06:00 CET")
        number = page.locator(".record-number").inner_text().strip()

        # The API keeps the instant, in UTC.
        change = api(server, username, "GET", f"/changes/{number}")
        assert datetime.fromisoformat(change["planned_start"]) == datetime(2026, 12, 24, 5, 0, tzinfo=UTC)

        # A date typed the American way is refused, naming the field and the German format.
        page.goto("/changes/new/")
        page.get_by_label("Kurzbeschreibung").fill(title)
        page.get_by_label("Geplanter Beginn").fill("12/24/2026 6:00 AM")
        page.get_by_role("button", name="Änderung anlegen").click()
        expect(page.locator(".field-error").first).to_contain_text(
            "Geplanter Beginn: bitte als TT.MM.JJJJ hh:mm eingeben, z. B. 24.12.2026 06:00."
        )
    finally:
        context.close()
