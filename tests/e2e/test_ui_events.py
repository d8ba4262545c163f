"""An administrator sets up an MES integration in the browser; its first alarm appears in the agent's console by
itself (the console polls), the agent acknowledges it and finds it, with the raw event, on its incident."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login


def test_an_alarm_reaches_the_live_console_is_acknowledged_and_shown_on_its_incident(
    page: Any, server: LiveServer
) -> None:
    suffix = uuid.uuid4().hex[:6]
    name, message = f"mes-e2e-{suffix}", f"Filler motor over temperature {suffix}"

    login(page, "admin")
    page.goto("/events/integrations/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Site").select_option("ber")
    page.get_by_role("button", name="Create account and key").click()
    expect(page.get_by_role("heading", name="The new key: copy it now")).to_be_visible()
    key = page.locator("#new-key").inner_text().strip()
    expect(page.get_by_label("Alertmanager configuration")).to_contain_text(f"credentials: {key}")
    expect(page.get_by_label("Alertmanager configuration")).to_contain_text(
        f"{server.base_url}/integrations/alertmanager"
    )
    page.goto(f"/events/integrations/{name}/")  # any later visit: the prefix only
    expect(page.locator("#new-key")).to_have_count(0)
    expect(page.get_by_role("cell", name=f"{key[:10]}…")).to_be_visible()

    page.context.clear_cookies()
    login(page, "mmueller")
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_role("heading", name="Alert console")).to_be_visible()
    row = page.locator("tr.alert-row", has_text=message)
    expect(row).to_have_count(0)

    event = {"source": name, "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
             "metric": f"motor_overtemp_{suffix}", "severity": "critical", "message": message}  # fmt: skip
    sent = httpx.post(f"{server.base_url}/api/v1/events", json=event, headers={"Authorization": f"Bearer {key}"},
                      timeout=30)  # fmt: skip
    assert sent.status_code == 202, sent.text
    server.cli("worker", "--once")

    expect(row).to_be_visible(timeout=20_000)  # no reload: the console's poll brings it
    expect(row).to_contain_text("BER-L3-PLC01")
    row.get_by_role("button", name=re.compile(r"^Acknowledge")).click()
    expect(row).to_contain_text("Acknowledged by Martina Müller")
    expect(page.get_by_text(f"Acknowledged: {message}.")).to_be_visible()

    row.get_by_role("link", name=re.compile(r"^INC\d+$")).click()
    section = page.locator("#alerts")
    expect(section.get_by_role("heading", name="Alerts")).to_be_visible()
    expect(section).to_contain_text(message)
    expect(section).to_contain_text("acknowledged by Martina Müller")
    section.get_by_text("Raw events (1)").click()
    raw = section.get_by_role("table", name=re.compile(r"^Raw events of alert"))
    expect(raw.get_by_role("cell", name="rest", exact=True)).to_be_visible()
    raw.get_by_text(re.compile(r"\d+ characters")).click()
    expect(raw.locator("pre.payload")).to_contain_text(f'"metric":"motor_overtemp_{suffix}"')


def test_an_agent_sees_an_unreadable_event_among_the_dead_letters(page: Any, server: LiveServer) -> None:
    account = f"mes-dl-{uuid.uuid4().hex[:6]}"
    server.cli("user", "add", account, "--role", "requester", "--integration")
    key = server.token_for(account)
    bad = {"source": account, "node": "BER-L3-PLC01", "metric": "jam", "severity": "disaster"}
    sent = httpx.post(f"{server.base_url}/api/v1/events", json=bad, headers={"Authorization": f"Bearer {key}"},
                      timeout=30)  # fmt: skip
    assert sent.status_code == 202 and sent.json()["dead_letters"], sent.text
    dead_id = sent.json()["dead_letters"][0]["id"]

    login(page, "mmueller")
    page.goto("/events/dead-letters/")
    row = page.locator(f'tr[data-dead-letter="{dead_id}"]')
    expect(row).to_contain_text("severity: one of critical")
    row.get_by_text(re.compile(r"characters · SHA-256")).click()
    expect(row.locator("pre.payload")).to_contain_text('"disaster"')
    row.get_by_label(f"Select dead letter {dead_id}").check()
    page.get_by_role("button", name="Replay selected").click()
    expect(page.get_by_text(f"Still dead #{dead_id}: severity: one of critical")).to_be_visible()
