"""An OT engineer opens an incident a level alarm opened (issue 13, point 5), at both laptop widths: it keeps
the alarm's title after the clear ("level normal" is no good news to read in a queue), says which alerts are
active, and once the alarm is back it no longer shows "Cleared by the source"."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api


@pytest.fixture(scope="module")
def sender(server: LiveServer) -> str:
    account = f"scada-e2e-{uuid.uuid4().hex[:6]}"
    server.cli("user", "add", account, "--role", "requester", "--site", "ber", "--integration")
    return server.token_for(account)


def send(server: LiveServer, key: str, *events: dict[str, Any]) -> None:
    sent = httpx.post(f"{server.base_url}/api/v1/events", json=list(events),
                      headers={"Authorization": f"Bearer {key}"}, timeout=30)  # fmt: skip
    assert sent.status_code == 202, sent.text
    server.cli("worker", "--once")


@pytest.mark.parametrize("width", [1366, 1024])
def test_an_event_incident_keeps_its_alarms_title_and_says_what_is_active(
    browser: Any, server: LiveServer, sender: str, width: int
) -> None:
    metric = f"level_high_{uuid.uuid4().hex[:6]}"
    alarm = {"source": "scada-e2e", "node": "BER-L2-PLC01", "resource": "Buffer tank T-201", "type": "alarm",
             "metric": metric, "severity": "minor", "message": "LSH-204 level high, buffer tank T-201"}  # fmt: skip
    send(server, sender, alarm, {**alarm, "severity": "clear", "message": "LSH-204 level normal"})
    alerts = api(server, "okoch", "GET", "/alerts?state=closed&ci=BER-L2-PLC01&limit=500")["items"]
    number = next(a["incident"] for a in alerts if a["metric"] == metric)

    context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "okoch")
        page.goto(f"/incidents/{number}/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "LSH-204 level high, buffer tank T-201 on BER-L2-PLC01"
        )
        alerts_panel = page.locator("#alerts")
        expect(alerts_panel).to_contain_text("No alert active now")
        expect(alerts_panel).to_contain_text("Cleared at")
        expect(page.get_by_role("heading", name="Resolution")).to_be_visible()
        expect(page.locator(".card-resolved")).to_contain_text("Cleared by the source")

        send(server, sender, {**alarm, "message": "LSH-204 level high, buffer tank T-201 (again)"})
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "LSH-204 level high, buffer tank T-201 on BER-L2-PLC01"
        )
        expect(page.locator(".record-badges")).to_contain_text("Reopened 1")
        expect(alerts_panel).to_contain_text("1 alert active now")
        expect(alerts_panel.locator(".alarm-active")).to_have_text("Active")
        # No resolution shown as the incident's own; the clear stays readable in its activity and history.
        expect(page.get_by_role("heading", name="Resolution")).to_have_count(0)
        expect(page.locator(".card-resolved")).to_have_count(0)
    finally:
        context.close()
