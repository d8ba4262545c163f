"""Logging in and out in a real browser."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import login


def test_agent_logs_in_to_the_queue_and_out_again(page: Any) -> None:
    login(page, "mmueller")
    expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Martina Müller")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to PlantDesk")).to_be_visible()
    page.goto("/incidents/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_wrong_password_shows_a_clear_message(page: Any) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("kschmidt")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid username or password")
    expect(page.get_by_label("Username")).to_have_value("kschmidt")


def test_requester_lands_on_the_portal(page: Any) -> None:
    login(page, "jdoe")
    expect(page.get_by_role("heading", name="My incidents")).to_be_visible()
    expect(page.get_by_role("link", name="Raise an incident").first).to_be_visible()
