"""A GxP service request end to end in Chromium at 1366 and 1024 px: a line operator orders an MES role
(the training question appears only once he says he will sign batch records), his manager approves and QA
signs in the portal, the MES agent works the fulfilment tasks from the incident queue's "my work", and the
access shows on the MES server's CI page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from plantdesk.testing.live import LiveServer
from tests.e2e.conftest import login
from tests.e2e.helpers import unique

WIDTHS = [1366, 1024]
EXPIRE_NOW = (
    "from datetime import timedelta; from django.utils import timezone; "
    "from plantdesk.requests.models import AccessGrant; "
    "AccessGrant.objects.filter(request_item__number='{item}').update(expires_at=timezone.now() - timedelta(minutes=1))"
)


@pytest.fixture
def as_user(browser: Any, server: LiveServer) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_as(username: str, width: int) -> Any:
        context = browser.new_context(base_url=server.base_url, viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        login(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits(page: Any) -> None:
    """Nothing on the page is wider than the window (no sideways scrolling at this width)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def order_mes_role(page: Any, why: str) -> str:
    menu = page.get_by_role("button", name="Menu")
    if menu.is_visible():  # 1024 px: the navigation folds behind the Menu button
        menu.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Request something").click()
    page.get_by_test_id("catalog-item").filter(has_text="MES role access").click()
    expect(page.get_by_role("heading", name="MES role access")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Approved in turn by: your manager, QA.")
    training = page.get_by_label("Part 11 training record (number)")
    expect(training).to_be_hidden()  # only asked of people who sign batch records
    page.get_by_label("Role").select_option("Batch reviewer")
    page.get_by_label("Will you sign electronic batch records?").select_option("true")
    expect(training).to_be_visible()
    page.get_by_label("Why is it needed?").fill(why)
    fits(page)
    page.get_by_role("button", name="Place request").click()
    expect(page.get_by_text("Part 11 training record (number)", exact=False).first).to_be_visible()
    expect(page.locator(".field-error").first).to_be_visible()  # the training record is required now
    page.get_by_label("Part 11 training record (number)").fill("TR-2026-118")
    page.get_by_role("button", name="Place request").click()
    expect(page.locator(".flash")).to_contain_text("has been placed")
    number = re.search(r"RITM\d+", page.url)
    assert number, page.url
    expect(page.locator("main")).to_contain_text("Pending approval")
    return number.group(0)


def decide(page: Any, number: str, password: str | None = None) -> None:
    page.goto("/portal/approvals/")
    form = page.get_by_role("form", name=f"Decide on {number}")
    expect(form).to_be_visible()
    if password is not None:
        form.get_by_label("Password (e-signature)").fill(password)
        form.get_by_role("button", name="Sign decision").click()
    else:
        form.get_by_role("button", name="Decide").click()
    expect(page.locator(".flash")).to_contain_text(f"Your decision on {number} is recorded.")


@pytest.mark.parametrize("width", WIDTHS)
def test_mes_role_is_ordered_approved_signed_fulfilled_and_shown_on_the_ci(
    as_user: Any, server: LiveServer, width: int
) -> None:
    why = unique("Batch review for the night shift on line 3")
    operator = as_user("jdoe", width)
    item = order_mes_role(operator, why)

    decide(as_user("kschmidt", width), item)
    qa = as_user("aweber", width)
    qa.goto("/portal/approvals/")
    form = qa.get_by_role("form", name=f"Decide on {item}")
    expect(form).to_contain_text("Signing records your name")
    form.get_by_label("Password (e-signature)").fill("not my password")
    form.get_by_role("button", name="Sign decision").click()
    expect(qa.locator(".flash-error")).to_be_visible()
    decide(qa, item, password="plantdesk-demo")

    operator.goto("/portal/requests/")
    expect(operator.locator("main")).to_contain_text(item)
    expect(operator.locator("main")).to_contain_text("In fulfilment")

    agent = as_user("mmueller", width)
    agent.goto(f"/requests/{item}/")
    tasks = agent.locator("main").get_by_role("link", name=re.compile(r"^TASK\d+$")).all_inner_texts()
    assert len(tasks) == 3, tasks  # stage 1: one task; stage 2: two, worked side by side
    agent.goto("/incidents/?view=my_work")
    expect(agent.get_by_test_id("work-tasks").get_by_role("link", name=tasks[0])).to_be_visible()
    fits(agent)
    agent.get_by_test_id("work-tasks").get_by_role("link", name=tasks[0]).click()
    for task in tasks:
        agent.goto(f"/requests/tasks/{task}/")
        fits(agent)
        agent.get_by_role("button", name="Close complete").click()
        expect(agent.locator(".flash")).to_contain_text(f"{task} is now Closed complete")

    agent.goto(f"/requests/{item}/")
    expect(agent.locator("main")).to_contain_text("Fulfilled")
    expect(agent.locator("main")).to_contain_text("Signed")
    agent.goto("/cmdb/BER-MES-APP01/")
    grants = agent.get_by_test_id("access-grants")
    expect(grants).to_contain_text("Batch reviewer")
    expect(grants.locator("tr", has_text=item)).to_contain_text("John Doe")
    fits(agent)

    # Ninety days on: the grant's time is up (moved into the past in the server's database), and one round of
    # the real worker expires it and opens the revoke task for the system's support group.
    server.cli("shell", "-c", EXPIRE_NOW.format(item=item))
    server.cli("worker", "--once")
    agent.goto("/cmdb/BER-MES-APP01/")
    expect(agent.get_by_test_id("access-grants")).not_to_contain_text(item)
    agent.goto(f"/requests/{item}/")
    expect(agent.locator("main")).to_contain_text("Expired")
    expect(agent.locator("main")).to_contain_text("Remove")  # the revoke task
