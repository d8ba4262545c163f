"""A normal GxP change from new to closed in the browser: CAB approval and QA e-signatures, blocked by a
production run and a blackout, and an export showing the signature manifestations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api, unique


@contextmanager
def session(browser: Any, server: LiveServer, username: str) -> Iterator[Any]:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, username)
    try:
        yield page
    finally:
        context.close()


def _state(page: Any, state: str) -> None:
    expect(page.locator(".record-head .state")).to_have_text(re.compile(state, re.IGNORECASE))


def _move(page: Any, to: str) -> None:
    page.get_by_role("button", name=f"Move to {to}").click()


def _flash(page: Any) -> Any:
    return page.locator(".flash-list")


def test_gxp_change_new_to_closed_through_the_ui(page: Any, browser: Any, server: LiveServer) -> None:
    day = (datetime.now(UTC) + timedelta(days=60 + datetime.now(UTC).microsecond % 30)).date()
    run_id = f"E2E-RUN-{unique('x').split()[-1]}"
    api(server, "jwagner", "POST", "/windows/production-runs", [{
        "equipment": "BER-L3", "external_id": run_id, "name": f"Order {run_id}", "state": "running",
        "start": f"{day - timedelta(days=1)}T00:00:00Z", "end": f"{day + timedelta(days=1)}T23:00:00Z",
    }])  # fmt: skip
    api(server, "jwagner", "POST", "/windows", {
        "kind": "blackout", "name": f"Validation run {run_id}", "cis": ["BER-MES-APP01"], "time_zone": "UTC",
        "start": f"{day - timedelta(days=1)}T00:00:00Z", "end": f"{day + timedelta(days=1)}T23:00:00Z",
    })  # fmt: skip

    # An agent raises the change.
    title = unique("Patch the MES application server")
    login(page, "mmueller")
    page.goto("/changes/new/")
    page.get_by_label("Type").select_option("normal")
    page.get_by_label("Short description").fill(title)
    page.get_by_label("Justification").fill("Vendor security fix.")
    page.get_by_label("Implementation plan").fill("Install the patch; restart the service.")
    page.get_by_label("Backout plan").fill("Uninstall the patch.")
    page.get_by_label("Test plan").fill("Open a batch record; print a label.")
    page.get_by_label("Affected CIs").fill("BER-MES-APP01, BER-L3-PLC01")
    page.get_by_label("Planned start").fill(f"{day}T10:00")
    page.get_by_label("Planned end").fill(f"{day}T12:00")
    page.get_by_label("Assignment group").fill("MES Support")
    page.get_by_label("Validation impact").select_option("minor")
    page.get_by_label("QMS change-control reference").fill("CC-2026-0999")
    page.get_by_role("button", name="Create change").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    number = page.locator(".record-number").inner_text().strip()
    conflicts = page.get_by_test_id("conflicts")
    expect(conflicts).to_contain_text("Production run")
    expect(conflicts).to_contain_text("Blackout")
    _move(page, "assess")
    _state(page, "assess")
    _move(page, "authorize")
    _state(page, "authorize")

    # The CAB chair decides on the agenda; a wrong password is refused and nothing is decided.
    with session(browser, server, "jwagner") as chair:
        chair.goto(f"/changes/cab/?from={day}&to={day}")
        item = chair.get_by_role("region", name=number)
        item.get_by_label("Password (e-signature)").fill("not my password")
        item.get_by_role("button", name="Sign decision").click()
        expect(_flash(chair)).to_contain_text("The password is wrong")
        item = chair.get_by_role("region", name=number)
        item.get_by_label("Password (e-signature)").fill("plantdesk-demo")
        item.get_by_role("button", name="Sign decision").click()
        expect(_flash(chair)).to_contain_text("decision")
    with session(browser, server, "aweber") as qa:
        qa.goto(f"/changes/{number}/")
        qa.get_by_label("Password (e-signature)").fill("plantdesk-demo")
        qa.get_by_role("button", name="Sign decision").click()
        expect(qa.get_by_test_id("approval-state")).to_contain_text("Approved")

    # Scheduling is blocked by the production run and the blackout.
    page.reload()
    _move(page, "scheduled")
    expect(_flash(page)).to_contain_text("Production run")
    expect(_flash(page)).to_contain_text("Blackout")
    _state(page, "authorize")
    # The MES reports the run completed; the next check no longer finds it.
    api(server, "jwagner", "POST", "/windows/production-runs", [{
        "equipment": "BER-L3", "external_id": run_id, "name": f"Order {run_id}", "state": "completed",
        "start": f"{day - timedelta(days=1)}T00:00:00Z", "end": f"{day + timedelta(days=1)}T23:00:00Z",
    }])  # fmt: skip
    page.get_by_role("button", name="Check again").click()
    expect(conflicts).not_to_contain_text("Production run")
    expect(conflicts).to_contain_text("Blackout")
    with session(browser, server, "jwagner") as chair:
        chair.goto(f"/changes/{number}/")
        chair.get_by_text("Sign an override").click()
        override = chair.get_by_role("form", name="Override conflicts")
        override.get_by_label("Reason").fill("QA agreed to patch during the validation run.")
        override.get_by_label("Your password").fill("plantdesk-demo")
        override.get_by_role("button", name="Sign override").click()
        expect(_flash(chair)).to_contain_text("Override signed")
    page.reload()
    _move(page, "scheduled")
    _state(page, "scheduled")

    # Implementation needs the QA signature.
    _move(page, "implement")
    expect(_flash(page)).to_contain_text("QA signature")
    _qa_signs(browser, server, number, "QA approval before implementation")
    page.reload()
    _move(page, "implement")
    _state(page, "implement")
    tasks = page.get_by_test_id("tasks")
    for _ in range(8):  # the OT task template of the PLC
        tasks.get_by_role("button", name=re.compile(r"^Task \d+ done$")).first.click()
        expect(_flash(page)).to_contain_text("is done")
    _move(page, "review")
    _state(page, "review")
    edit = page.get_by_role("form", name="Edit change")
    edit.get_by_label("Review outcome").select_option("successful")
    edit.get_by_label("Verification evidence").fill("OQ protocol OQ-17 executed and passed.")
    edit.get_by_role("button", name="Save").click()
    expect(_flash(page)).to_contain_text("Saved")
    _qa_signs(browser, server, number, "QA verification before closure")
    page.reload()
    _move(page, "closed")
    _state(page, "closed")

    signatures = page.get_by_test_id("signatures")
    expect(signatures).to_contain_text("Signed by Jonas Wagner (jwagner)")
    expect(signatures).to_contain_text("meaning: Verified")
    export = page.request.get(f"/changes/{number}/export.csv")
    assert export.ok
    body = export.text()
    for expected in ("Signed by Jonas Wagner (jwagner)", "Signed by Anna Weber (aweber)", "meaning: QA approved",
                     "meaning: Verified", "UTC"):  # fmt: skip
        assert expected in body, expected
    pdf = page.request.get(f"/changes/{number}/export.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")


def _qa_signs(browser: Any, server: LiveServer, number: str, purpose: str) -> None:
    with session(browser, server, "aweber") as qa:
        qa.goto(f"/changes/{number}/")
        form = qa.get_by_role("form", name="QA signature")
        form.get_by_label("Signature for").select_option(label=purpose)
        form.get_by_label("Your password").fill("plantdesk-demo")
        form.get_by_role("button", name="Sign as QA").click()
        expect(_flash(qa)).to_contain_text("Signed by Anna Weber (aweber)")
