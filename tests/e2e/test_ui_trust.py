"""Pages people trust, in Chromium at 1366 and 1024 px: the activity stream shows people first with system
notes behind a filter, the history and the signatures read as labels, and every time on a page is in one
zone, named (issue 13, points 1-3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api, create_incident, unique

pytestmark = pytest.mark.e2e

WIDTHS = [1366, 1024]
RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
STORED_CODES = ("qa_approved", "qa_pre_implement", "qa_close", "solved_fix", "in_service", "awaiting_")


@dataclass(frozen=True)
class Busy:
    number: str
    people: list[dict[str, Any]]  # comments and work notes, oldest first
    system: int


@pytest.fixture(scope="module")
def busy_incident(server: LiveServer) -> Busy:
    """A Berlin demo incident after the worker's first round: its overdue SLA clocks have written their
    warnings and breaches between the caller's comments and the agents' work notes."""
    server.cli("worker", "--once")
    for item in api(server, "mmueller", "GET", "/incidents?limit=200")["items"]:
        comments = api(server, "mmueller", "GET", f"/incidents/{item['number']}/comments")["items"]
        people = [c for c in comments if c["author"] != "system"]
        system = len(comments) - len(people)
        if system >= 2 and {c["visibility"] for c in people} == {"public", "internal"}:
            return Busy(str(item["number"]), people, system)
    raise AssertionError("no demo incident has comments, work notes and SLA notes")


@pytest.fixture
def at_width(browser: Any, server: LiveServer, request: Any) -> Iterator[Any]:
    def open_as(username: str, width: int) -> Any:
        context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, username)
        return page

    contexts: list[Any] = []
    yield open_as
    for context in contexts:
        context.close()


def _times(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("main time").all_inner_texts() if t.strip()]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_activity_stream_shows_people_first_and_system_notes_behind_a_filter(
    at_width: Any, busy_incident: Busy, width: int
) -> None:
    page = at_width("mmueller", width)
    page.goto(f"/incidents/{busy_incident.number}/")
    journal = page.get_by_role("list", name="Journal")
    expect(journal.locator("[data-kind]")).to_have_count(len(busy_incident.people))
    expect(journal.locator("[data-kind=comment]").first).to_contain_text(
        next(c["body"] for c in busy_incident.people if c["visibility"] == "public")[:60]
    )
    hidden = f"{busy_incident.system} system notes (SLA warnings, automatic actions) not shown"
    expect(page.locator(".activity-hidden")).to_contain_text(hidden)

    page.locator("[data-testid=activity-filter]").get_by_role("link", name=re.compile(r"^System")).click()
    system = page.get_by_role("list", name="Journal").locator("[data-kind=system]")
    expect(system.first).to_contain_text("SLA warning")
    assert page.get_by_role("list", name="Journal").locator("[data-kind=comment]").count() == 0
    for box in (system.nth(i).bounding_box() for i in range(system.count())):
        assert box is not None and box["height"] < 48, box  # one line each
    assert not RAW_ISO.search(page.locator("main").inner_text())

    assert system.count() == busy_incident.system

    page.locator("[data-testid=activity-filter]").get_by_role("link", name=re.compile(r"^Work notes")).click()
    notes = [c for c in busy_incident.people if c["visibility"] == "internal"]
    expect(page.get_by_role("list", name="Journal").locator("[data-kind]")).to_have_count(len(notes))
    expect(page.get_by_role("list", name="Journal").locator("[data-kind=work_note]").first).to_contain_text(
        notes[0]["body"][:60]
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_history_reads_as_labels_in_the_site_zone(at_width: Any, busy_incident: Busy, width: int) -> None:
    page = at_width("mmueller", width)
    page.goto(f"/incidents/{busy_incident.number}/?tab=history")
    history = page.get_by_test_id("history")
    expect(history).to_contain_text("Configuration item")
    site_row = history.locator("tr", has=page.locator("td", has_text=re.compile(r"^Site$")))
    expect(site_row).to_contain_text("Berlin plant (ber)")
    expect(history.locator("tr", has_text="Priority").first).to_contain_text(re.compile(r"P[1-5] [A-Z][a-z]+"))
    text = history.inner_text()
    assert not RAW_ISO.search(text) and not any(code in text for code in STORED_CODES), text[:400]
    expect(page.get_by_test_id("page-zone")).to_have_text("Times in Europe/Berlin (CET)")
    assert _times(page) and all(t.endswith(" CET") for t in _times(page)), _times(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_signatures_show_the_meaning_label_and_the_page_zone(server: LiveServer, at_width: Any, width: int) -> None:
    signed = next(
        c["number"] for c in api(server, "admin", "GET", "/changes?limit=200")["items"]
        if api(server, "admin", "GET", f"/changes/{c['number']}/signatures")["items"]
    )  # fmt: skip
    page = at_width("jwagner", width)
    page.goto(f"/changes/{signed}/")
    signatures = page.get_by_test_id("signatures")
    expect(signatures).to_contain_text(re.compile(r"meaning: (QA approved|Verified|Approved|Reviewed)"))
    body = page.locator("main").inner_text()
    assert not any(code in body for code in STORED_CODES) and " UTC" not in body, body[:400]
    zone = page.get_by_test_id("page-zone").inner_text()
    abbreviation = zone.rsplit("(", 1)[1].rstrip(")")
    assert all(t.endswith(abbreviation) for t in _times(page)), (zone, _times(page))
    assert not RAW_ISO.search(page.get_by_test_id("history").inner_text())


@pytest.mark.parametrize("width", WIDTHS)
def test_a_singapore_record_is_shown_in_singapore_time_to_a_berlin_admin(
    server: LiveServer, at_width: Any, width: int
) -> None:
    number = create_incident(
        server, "tlim", short_description=unique("Label printer offline"), caller="slee", site="sin"
    )["number"]
    page = at_width("admin", width)
    page.goto(f"/incidents/{number}/?tab=history")
    expect(page.get_by_test_id("page-zone")).to_have_text("Times in Asia/Singapore (Asia/Singapore)")
    assert _times(page) and all(t.endswith("Asia/Singapore") for t in _times(page)), _times(page)
    page.goto("/incidents/")
    expect(page.get_by_test_id("page-zone")).to_have_text("Times in Europe/Berlin (CET)")
