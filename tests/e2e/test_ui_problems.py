"""Problems from the incident page, in Chromium at 1366 and 1024 px: an agent links an incident to a problem
with the picker, publishes the workaround on the problem page, and the incident (and the requester's portal)
shows it; a requester finds an article from the portal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import api, create_incident, unique

WIDTHS = [1366, 1024]
DEMO_PROBLEM = "BER-L3 label printer offline"
DEMO_WORKAROUND = "Power-cycle the printer, then re-send the open labels from the MES label queue."


@pytest.fixture
def at_width(browser: Any, server: LiveServer) -> Iterator[Any]:
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


def pick_problem(page: Any, typed: str, number: str) -> None:
    """Type into the panel's problem picker and choose `number` with the keyboard."""
    field = page.locator("#problem-panel").get_by_label("Problem", exact=True)
    field.press_sequentially(typed, delay=40)
    listbox = page.locator(f"#{field.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option", name=re.compile(number))).to_be_visible()
    names = listbox.get_by_role("option").all_inner_texts()
    for _ in range(next(i for i, name in enumerate(names) if number in name) + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value(number)


@pytest.mark.parametrize("width", WIDTHS)
def test_agent_links_from_the_incident_page_and_sees_the_published_workaround(
    at_width: Any, server: LiveServer, width: int
) -> None:
    words = unique("Label printer cutter jams")
    incident = create_incident(server, "mmueller", short_description=f"{words} on line 3", ci="BER-L3-PRN01")
    problem = api(server, "mmueller", "POST", "/problems", {"short_description": words, "ci": "BER-L3-PRN01"})
    page = at_width("mmueller", width)
    page.goto(f"/incidents/{incident['number']}/")
    panel = page.locator("#problem-panel")
    expect(panel.get_by_role("button", name="Create problem from incident")).to_be_visible()
    expect(panel).to_contain_text("Matching known errors")
    pick_problem(page, words.split()[-1], problem["number"])
    panel.get_by_role("button", name="Link to problem").click()
    expect(page.locator(".flash")).to_contain_text(f"{incident['number']} linked to {problem['number']}.")
    expect(panel.get_by_role("link", name=problem["number"])).to_have_attribute(
        "href", f"/problems/{problem['number']}/"
    )
    expect(panel).to_contain_text("New")
    expect(panel.get_by_role("button", name="Unlink")).to_be_visible()
    # Follow the link to the problem page and publish the workaround there.
    workaround = f"Open the cutter cover, clear the label stock, close it. ({words})"
    panel.get_by_role("link", name=problem["number"]).click()
    expect(page).to_have_url(re.compile(rf"/problems/{problem['number']}/$"))
    expect(page.locator("main")).to_contain_text(incident["number"])  # the linked incidents table
    page.get_by_label("Symptom").fill("The cutter jams mid-label")
    page.get_by_label("Workaround", exact=True).fill(workaround)
    page.get_by_role("button", name="Save and publish workaround").click()
    expect(page.locator(".flash")).to_contain_text("posted to 1 incident")
    expect(page.get_by_test_id("workaround-published")).to_contain_text("Workaround v1 published")
    page.goto(f"/incidents/{incident['number']}/")
    expect(panel.locator(".problem-workaround")).to_contain_text(workaround)
    expect(page.locator("#tab-panel")).to_contain_text(f"Workaround from {problem['number']} (known error)")
    expect(page.locator("#tab-panel")).to_contain_text(workaround)


def test_a_refused_link_says_why_next_to_the_picker(at_width: Any, server: LiveServer) -> None:
    words = unique("Scanner gun drops")
    first = api(server, "mmueller", "POST", "/problems", {"short_description": f"{words} A"})
    second = api(server, "mmueller", "POST", "/problems", {"short_description": f"{words} B"})
    incident = create_incident(server, "mmueller", short_description=words, ci="BER-L3-PRN01")
    page = at_width("mmueller", 1366)
    page.goto(f"/incidents/{incident['number']}/")
    # Linked elsewhere while the page was open: the link is refused and nothing changes.
    api(server, "mmueller", "POST", f"/problems/{first['number']}/incidents", {"incidents": [incident["number"]]})
    pick_problem(page, f"{words} B", second["number"])
    page.locator("#problem-panel").get_by_role("button", name="Link to problem").click()
    expect(page.locator("#problem-panel .field-error")).to_contain_text(f"already linked to {first['number']}")
    linked = api(server, "mmueller", "GET", f"/incidents/{incident['number']}")
    assert linked["problem"] == first["number"]


@pytest.mark.parametrize("width", WIDTHS)
def test_requester_finds_the_workaround_comment_in_the_portal(at_width: Any, server: LiveServer, width: int) -> None:
    title = unique("My line 3 labels do not print")
    mine = create_incident(server, "jdoe", short_description=title, ci="BER-L3-PRN01")
    found = api(server, "mmueller", "GET", f"/problems?q={quote(DEMO_PROBLEM)}")["items"]
    demo = next(p for p in found if p["short_description"] == DEMO_PROBLEM)
    # Linking to a problem whose workaround is published posts it on the new incident at once.
    api(server, "mmueller", "POST", f"/problems/{demo['number']}/incidents", {"incidents": [mine["number"]]})
    page = at_width("jdoe", width)
    page.goto("/portal/")
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/portal/{mine['number']}/$"))
    expect(page.get_by_text(f"Workaround from {demo['number']} (known error): {DEMO_WORKAROUND}")).to_be_visible()
    expect(page.locator("#problem-panel")).to_have_count(0)


@pytest.mark.parametrize("width", WIDTHS)
def test_requester_finds_an_article_in_the_portal(at_width: Any, server: LiveServer, width: int) -> None:
    """While typing a new incident the portal suggests the article; it answers the question, and saying so
    counts as a deflection the agents see."""
    title = "Label printer on BER-L3 prints blank or faded labels"
    page = at_width("jdoe" if width == WIDTHS[0] else "slee", width)  # one deflection per person and day
    page.goto("/portal/new/")
    page.get_by_label("Short description").press_sequentially("labels come out faded", delay=30)
    suggested = page.locator("#kb-suggested-articles")
    expect(suggested.get_by_role("link", name=re.compile(re.escape(title)))).to_be_visible()
    # The knowledge page finds it too, by search.
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # 1024 px: the navigation folds behind the Menu button
        menu.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    page.get_by_label("Search for help").fill("faded label ribbon")
    page.get_by_role("button", name="Search").click()
    page.locator("#kb-portal-results").get_by_role("link", name=re.compile(re.escape(title))).click()
    expect(page.locator("#kb-title")).to_have_text(title)
    expect(page.locator("#kb-body")).to_contain_text("check the ribbon roll")
    expect(page.locator("#kb-body strong")).to_have_text("ribbon")  # Markdown rendered
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    before = api(server, "mmueller", "GET", f"/knowledge/{number}")["deflections"]
    page.get_by_role("button", name="This solved my problem").click()
    expect(page.locator(".flash")).to_contain_text("Glad it helped")
    assert api(server, "mmueller", "GET", f"/knowledge/{number}")["deflections"] == before + 1
