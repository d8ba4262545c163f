"""The requester portal: raise, follow, comment, and see only what is yours and public."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api, create_incident, unique


def test_requester_raises_comments_and_never_sees_work_notes(page: Any, server: LiveServer) -> None:
    title = unique("Batch screen frozen at line 3")
    login(page, "jdoe")
    page.get_by_role("link", name="Raise an incident").first.click()
    page.get_by_role("button", name="Raise incident").click()
    expect(page.locator(".field", has=page.get_by_label("Short description"))).to_contain_text(
        "This field is required."
    )
    page.get_by_label("Short description").fill(title)
    page.get_by_label("Description", exact=True).fill("The screen does not react since the shift change.")
    page.get_by_label("Urgency").select_option("1")
    page.get_by_label("Configuration item").fill("BER-MES-APP01")
    page.get_by_role("button", name="Raise incident").click()
    expect(page.get_by_text("has been raised")).to_be_visible()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    number = page.locator(".record-head .record-number").inner_text()

    page.get_by_role("link", name="My incidents").first.click()
    expect(page.get_by_role("link", name=title)).to_be_visible()

    api(server, "mmueller", "POST", f"/incidents/{number}/comments",
        {"body": "Internal: suspect the DB lock again", "visibility": "internal"})  # fmt: skip
    api(server, "mmueller", "POST", f"/incidents/{number}/comments",
        {"body": "We are looking into it.", "visibility": "public"})  # fmt: skip

    page.get_by_role("link", name=title).click()
    expect(page.get_by_text("We are looking into it.")).to_be_visible()
    expect(page.get_by_text("suspect the DB lock")).to_have_count(0)
    page.get_by_role("textbox", name="Comment").fill("Still frozen, we switched to paper records.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Your comment was added.")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Still frozen, we switched to paper records.")
    expect(page.get_by_text("suspect the DB lock")).to_have_count(0)


def test_requester_reopens_then_accepts_a_resolution(page: Any, server: LiveServer) -> None:
    title = unique("Badge reader at gate 2")
    number = create_incident(server, "jdoe", short_description=title)["number"]
    api(server, "mmueller", "POST", f"/incidents/{number}/transitions",
        {"to": "resolved", "resolution_code": "solved_fix", "resolution_notes": "Reader rebooted."})  # fmt: skip
    login(page, "jdoe")
    page.goto(f"/portal/{number}/")
    expect(page.get_by_text("We think this is fixed.")).to_be_visible()
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator(".record-head .state")).to_have_text("In progress")
    expect(page.locator(".facts")).to_contain_text("Reopen count1")
    api(server, "mmueller", "POST", f"/incidents/{number}/transitions",
        {"to": "resolved", "resolution_code": "solved_fix", "resolution_notes": "Reader replaced."})  # fmt: skip
    page.reload()
    page.get_by_role("button", name="Accept resolution").click()
    expect(page.locator(".record-head .state")).to_have_text("Closed")
    page.get_by_role("link", name="My incidents").first.click()
    page.get_by_role("link", name="Closed").click()
    expect(page.get_by_role("link", name=title)).to_be_visible()


def test_requester_cannot_open_another_requesters_incident(page: Any, server: LiveServer) -> None:
    title = unique("Lab balance offline")
    number = create_incident(server, "slee", short_description=title)["number"]
    login(page, "jdoe")
    response = page.goto(f"/portal/{number}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    page.goto("/portal/")
    expect(page.get_by_text(title)).to_have_count(0)
