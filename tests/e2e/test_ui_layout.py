"""Layout on the screens people have: the queue fits 1366 px, the top bar stays one row at 1024 px behind a
Menu, a refused page says why inside the layout, the pickers fill references as you type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login

WIDE, NARROW = 1366, 1024


@pytest.fixture
def at_width(browser: Any, server: LiveServer) -> Iterator[Any]:
    """`at_width(1024)`: a fresh page (own session) with that viewport."""
    contexts = []

    def open_page(width: int) -> Any:
        context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 800})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def scroll_widths(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => ({page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth,
                   table: document.querySelector('table.queue').scrollWidth,
                   wrap: document.querySelector('.table-wrap').clientWidth})"""
    )


@pytest.mark.parametrize("username", ["mmueller", "admin"])  # an agent's queue, and everything (admin)
def test_the_queue_fits_1366_px_with_long_text_cut_and_whole_in_its_tooltip(at_width: Any, username: str) -> None:
    page = at_width(WIDE)
    login(page, username)
    page.goto("/incidents/?view=all")
    expect(page.locator("table.queue tbody tr").first).to_be_visible()
    widths = scroll_widths(page)
    assert widths["page"] <= widths["viewport"], widths
    assert widths["table"] <= widths["wrap"], widths
    link = page.locator("table.queue td.desc a").first
    full = link.get_attribute("title")
    assert full and link.inner_text() == full  # the text is all there; CSS cuts it to the cell
    assert page.evaluate("el => el.scrollWidth >= el.clientWidth", link.element_handle())


def test_a_person_chooses_the_queue_columns_and_finds_them_again(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "okoch")
    queue = page.locator("table.queue thead")
    expect(queue.get_by_text("Caller", exact=True)).to_have_count(0)  # not by default: it would not fit
    page.get_by_text("Columns", exact=True).click()
    page.get_by_label("Caller").check()
    page.get_by_label("Updated").uncheck()
    page.get_by_role("button", name="Save columns").click()
    expect(page.get_by_text("Columns saved.")).to_be_visible()
    page.reload()
    expect(queue.get_by_text("Caller", exact=True)).to_be_visible()
    expect(queue.get_by_text("Updated", exact=True)).to_have_count(0)
    widths = scroll_widths(page)
    assert widths["page"] <= widths["viewport"] and widths["table"] <= widths["wrap"], widths


def test_the_top_bar_stays_one_row_at_1024_px_and_its_menu_opens_and_navigates(at_width: Any) -> None:
    wide = at_width(WIDE)
    login(wide, "admin")
    one_row = wide.locator(".topbar").bounding_box()["height"]
    expect(wide.get_by_role("button", name="Menu")).to_be_hidden()

    page = at_width(NARROW)
    login(page, "admin")  # the longest bar: every item and the integrations
    bar = page.locator(".topbar")
    assert bar.bounding_box()["height"] == one_row
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Queue")).to_be_focused()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    menu.click()
    nav.get_by_role("link", name="Changes").click()
    expect(page).to_have_url(re.compile(r"/changes/$"))
    assert page.locator(".topbar").bounding_box()["height"] == one_row


def test_a_refused_page_says_inside_the_layout_what_is_missing_and_whom_to_ask(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "jdoe")
    response = page.goto("/changes/windows/")
    assert response.status == 403
    expect(page.locator(".topbar").get_by_role("link", name="My incidents")).to_be_visible()
    expect(page.get_by_role("heading", name="You do not have access to this")).to_be_visible()
    expect(page.get_by_test_id("denied-reason")).to_contain_text("This page is for the service desk")
    expect(page.get_by_text("ask the service desk or an administrator")).to_be_visible()
    page.get_by_role("link", name="Go to your portal").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))

    agent = at_width(WIDE)
    login(agent, "mmueller")
    assert agent.goto("/changes/windows/new/").status == 403
    expect(agent.get_by_test_id("denied-reason")).to_have_text(
        "Windows are planned by change managers and administrators."
    )


def test_the_integrations_are_in_the_navigation_for_administrators_only(at_width: Any) -> None:
    admin = at_width(WIDE)
    login(admin, "admin")
    nav = admin.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Integrations").click()
    expect(admin).to_have_url(re.compile(r"/events/integrations/$"))
    expect(nav.get_by_role("link", name="Integrations")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Alerts")).not_to_have_attribute("aria-current", "page")

    agent = at_width(WIDE)
    login(agent, "mmueller")
    expect(agent.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts")).to_be_visible()
    expect(agent.get_by_role("link", name="Integrations")).to_have_count(0)


def pick(page: Any, label: str, typed: str, option: str) -> None:
    """Type into a picker and choose the option whose text holds `option` with the keyboard."""
    field = page.get_by_label(label, exact=True)
    field.press_sequentially(typed, delay=40)
    listbox = page.locator(f"#{field.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option", name=re.compile(option))).to_be_visible()
    names = listbox.get_by_role("option").all_inner_texts()
    for _ in range(next(i for i, name in enumerate(names) if option in name) + 1):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()


def test_pickers_fill_the_group_and_the_assignee_and_required_fields_are_marked(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "mmueller")
    page.goto("/incidents/new/")
    title = page.get_by_label("Short description")
    expect(title).to_have_attribute("aria-required", "true")
    expect(page.locator("label[for='id_short_description'] .req")).to_have_text("*")
    expect(page.locator("label[for='id_assignee'] .req")).to_have_count(0)  # optional: not marked
    title.fill("Label printer on line 1 jams")
    pick(page, "Assignment group", "mes", "MES Support")
    expect(page.get_by_label("Assignment group", exact=True)).to_have_value("MES Support")
    pick(page, "Assignee", "Mart", "Martina Müller")
    expect(page.get_by_label("Assignee", exact=True)).to_have_value("mmueller")
    page.get_by_role("button", name="Create incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/INC\d+/$"))
    facts = page.locator(".facts")
    expect(facts).to_contain_text("MES Support")
    expect(facts).to_contain_text("Martina Müller")


def test_several_cis_are_picked_as_chips_on_the_change_form(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "jwagner")
    page.goto("/changes/new/")
    pick(page, "Affected CIs", "BER-L3-P", "BER-L3-PLC01")
    pick(page, "Affected CIs", "BER-MES", "BER-MES-APP01")
    chips = page.locator(".typeahead-chips .chip-value > span")
    expect(chips).to_have_text(["BER-L3-PLC01", "BER-MES-APP01"])
    page.get_by_role("button", name="Remove BER-L3-PLC01").click()
    expect(chips).to_have_text(["BER-MES-APP01"])
    expect(page.locator("input[type=hidden][name=cis]")).to_have_value("BER-MES-APP01")


def test_a_requester_is_offered_only_what_they_may_see(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "jdoe")
    assert page.request.get("/suggest/groups/?assignment_group=MES").text().strip().count('role="option"') == 0
    people = page.request.get("/suggest/people/?caller=Ma").text()
    assert "mmueller" not in people and "Martina" not in people


def test_the_windows_page_and_the_portal_page_rather_than_run_on(at_width: Any) -> None:
    page = at_width(WIDE)
    login(page, "jwagner")
    page.goto("/changes/windows/")
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of")
    assert page.evaluate("document.documentElement.scrollHeight") < 2600  # was 5,500 px

    requester = at_width(WIDE)
    login(requester, "jdoe")
    assert requester.evaluate("document.documentElement.scrollHeight") < 2600  # was 3,600 px
