"""An agent works the queue and takes an incident from new to closed, reopening it on the way."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import create_incident, unique


def test_agent_filters_the_queue_and_opens_an_incident(page: Any, server: LiveServer) -> None:
    title = unique("Conveyor scanner offline")
    created = create_incident(server, "mmueller", short_description=title, impact=1, urgency=1,
                              assignment_group="MES Support")  # fmt: skip
    login(page, "mmueller")
    page.get_by_label("Search").fill(title)
    expect(page.get_by_text("Showing 1 to 1 of 1 incident")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=Conveyor"))
    page.get_by_label("Priority").select_option("P1")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    page.get_by_label("Priority").select_option("P5")
    expect(page.get_by_text("No incidents match.")).to_be_visible()
    page.get_by_label("Priority").select_option("Any priority")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"priority=5"))
    # The filtered queue survives a full page load (the URL carries the filters).
    page.reload()
    expect(page.get_by_label("Search")).to_have_value(title)
    page.get_by_role("link", name="Unassigned in my groups").click()
    expect(page.get_by_role("link", name="Unassigned in my groups")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".record-head")).to_contain_text(created["number"])
    expect(page.locator(".record-head")).to_contain_text("P1 Critical")
    expect(page.locator(".record-head")).to_contain_text("New")


def test_queue_sorts_by_clicking_a_column(page: Any, server: LiveServer) -> None:
    login(page, "mmueller")
    page.get_by_role("link", name="Number").click()
    expect(page.get_by_role("columnheader", name="Number")).to_have_attribute("aria-sort", "ascending")
    numbers = page.locator("a.rowlink").all_inner_texts()
    assert numbers == sorted(numbers)
    page.get_by_role("link", name="Number").click()
    expect(page.get_by_role("columnheader", name="Number")).to_have_attribute("aria-sort", "descending")
    numbers = page.locator("a.rowlink").all_inner_texts()
    assert numbers == sorted(numbers, reverse=True)


def _state(page: Any, label: str) -> None:
    expect(page.locator(".record-head .state")).to_have_text(label)


def test_new_to_closed_with_comments_reopen_and_history(page: Any, server: LiveServer) -> None:
    title = unique("Label printer on line 1 jams")
    number = create_incident(server, "mmueller", short_description=title, assignment_group="Service Desk")["number"]
    login(page, "mmueller")
    page.goto(f"/incidents/{number}/")
    _state(page, "New")

    page.get_by_role("button", name="Start work").click()
    _state(page, "In progress")

    page.get_by_role("textbox", name="Comment").fill("We are sending a technician to line 1.")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("We are sending a technician to line 1.")).to_be_visible()
    page.get_by_role("textbox", name="Comment").fill("Printhead worn, spare part ordered.")
    page.get_by_label("Internal work note").check()
    page.get_by_role("button", name="Post").click()
    note = page.locator(".entry-internal", has_text="Printhead worn, spare part ordered.")
    expect(note).to_contain_text("Work note · internal")

    page.get_by_role("button", name="Put on hold…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Hold reason").select_option("Awaiting vendor")
    dialog.get_by_role("button", name="Put on hold").click()
    _state(page, "On hold")
    expect(page.locator(".record-head")).to_contain_text("Awaiting vendor")

    page.get_by_role("button", name="Resume work").click()
    _state(page, "In progress")

    page.get_by_role("button", name="Resolve…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Resolution notes").fill("Replaced the printhead.")
    dialog.get_by_role("button", name="Resolve").click()
    # The missing code is named next to its field, the dialog stays open with the notes kept.
    code_field = dialog.locator(".field", has=page.get_by_label("Resolution code"))
    expect(code_field).to_contain_text("A resolution code is required.")
    expect(dialog.get_by_label("Resolution notes")).to_have_value("Replaced the printhead.")
    dialog.get_by_label("Resolution code").select_option("Solved (permanent fix)")
    dialog.get_by_role("button", name="Resolve").click()
    _state(page, "Resolved")
    expect(page.get_by_text("Replaced the printhead.")).to_be_visible()

    page.get_by_role("button", name="Reopen").click()
    _state(page, "In progress")
    expect(page.locator(".record-head")).to_contain_text("Reopened 1")
    expect(page.locator(".facts")).to_contain_text("Reopen count")
    expect(page.locator(".card-resolved")).to_have_count(0)  # reopened: no resolution shown any more

    page.get_by_role("button", name="Resolve…").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Resolution code").select_option("Fixed by vendor")
    dialog.get_by_label("Resolution notes").fill("Vendor replaced the whole print unit.")
    dialog.get_by_role("button", name="Resolve").click()
    _state(page, "Resolved")
    page.get_by_role("button", name="Close").click()
    _state(page, "Closed")
    expect(page.get_by_role("button", name="Post")).to_have_count(0)  # the journal is closed

    page.get_by_role("tab", name="History").click()
    history = page.locator("table.history")
    expect(history).to_be_visible()
    state_rows = history.locator("tr", has_text="State")
    moves = [
        "New → In progress", "In progress → On hold", "On hold → In progress", "In progress → Resolved",
        "Resolved → In progress", "In progress → Resolved", "Resolved → Closed",
    ]  # fmt: skip
    expect(state_rows).to_have_count(len(moves))
    for i, move in enumerate(moves):
        expect(state_rows.nth(i)).to_contain_text(move)
    expect(history).to_contain_text("Awaiting vendor")
    # Set, emptied by the reopen, set again: the history keeps the first resolution.
    expect(history.locator("tr", has_text="Resolution code")).to_have_count(3)
    expect(history.locator("tr", has_text="Comment")).to_contain_text("We are sending a technician to line 1.")
    expect(history.locator("tr", has_text="Work note")).to_contain_text("Printhead worn")
    expect(history).to_contain_text("Martina Müller")
    expect(history).to_contain_text(re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d CES?T"))


def test_agent_edits_fields_and_sees_errors_next_to_them(page: Any, server: LiveServer) -> None:
    title = unique("Historian gaps")
    number = create_incident(server, "mmueller", short_description=title)["number"]
    login(page, "mmueller")
    page.goto(f"/incidents/{number}/")
    page.get_by_label("Parent incident").fill("INC0000000")
    page.get_by_role("button", name="Save changes").click()
    parent_field = page.locator(".field", has=page.get_by_label("Parent incident"))
    expect(parent_field).to_contain_text("Unknown incident 'INC0000000'.")
    page.get_by_label("Parent incident").fill("")
    page.get_by_label("Impact").select_option("1")
    page.get_by_label("Urgency").select_option("1")
    page.get_by_label("Assignment group").fill("MES Support")
    page.get_by_label("Assignee").fill("mmueller")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".record-head")).to_contain_text("P1 Critical")
    expect(page.locator(".facts")).to_contain_text("Martina Müller")


def test_agent_creates_an_incident_from_the_form(page: Any) -> None:
    title = unique("Shop-floor terminal keyboard dead")
    login(page, "mmueller")
    page.get_by_role("link", name="New incident").first.click()
    page.get_by_role("button", name="Create incident").click()
    expect(page.locator(".field", has=page.get_by_label("Short description"))).to_contain_text(
        "This field is required."
    )
    page.get_by_label("Short description").fill(title)
    page.get_by_label("Caller").fill("jdoe")
    page.get_by_label("Category").select_option("Hardware")
    page.get_by_role("button", name="Create incident").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("John Doe")


def test_agent_sees_sla_clocks_and_sorts_the_queue_by_due(page: Any, server: LiveServer) -> None:
    login(page, "mmueller")
    page.get_by_role("link", name="Due", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=due"))
    first = page.locator("table tbody tr").first
    first.get_by_role("link").first.click()
    sla = page.get_by_role("region", name="Service levels")
    expect(sla).to_be_visible()
    expect(sla.get_by_role("meter").first).to_be_visible()
    expect(sla.get_by_text(re.compile(r"working time (left|$)|overdue by"))).not_to_have_count(0)
    page.get_by_role("link", name="Service levels", exact=True).click()
    expect(page.get_by_role("heading", name="Service-level attainment")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"Share of SLA clocks met.*%"))).not_to_have_count(0)
