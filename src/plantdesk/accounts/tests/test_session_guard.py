"""Locked means locked: a locked or deactivated account's tokens and sessions are refused, and a session ends
after PLANTDESK_SESSION_IDLE_MINUTES without activity (background polls do not count)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plantdesk.accounts.actions import do_create_token
from plantdesk.accounts.models import User
from plantdesk.accounts.tokens import check_token
from plantdesk.testing.fixtures import PASSWORD, Plant, text

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
POLL = {"HX-Request": "true", "HX-Target": "alert-results", "X-PlantDesk-Background": "poll"}


def _lock(username: str) -> None:
    for _ in range(5):
        assert Client().post("/login/", {"username": username, "password": "wrong password"}).status_code == 400


def _signed_in(username: str) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_locked_accounts_token_is_refused_with_the_reason(plant: Plant) -> None:
    token = do_create_token(plant.agent, actor=plant.system)
    assert Client().get("/api/v1/incidents", headers=_bearer(token)).status_code == 200
    _lock("alice")
    response = Client().get("/api/v1/incidents", headers=_bearer(token))
    assert response.status_code == 401
    assert "locked after repeated failed sign-ins" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_lock_ends_with_its_lockout_time(plant: Plant) -> None:
    token = do_create_token(plant.agent, actor=plant.system)
    with time_machine.travel(START, tick=False) as clock:
        _lock("alice")
        assert Client().get("/api/v1/incidents", headers=_bearer(token)).status_code == 401
        clock.shift(timedelta(minutes=16))  # PLANTDESK_LOGIN_LOCKOUT_MINUTES is 15
        assert Client().get("/api/v1/incidents", headers=_bearer(token)).status_code == 200


def test_a_deactivated_accounts_token_and_session_are_refused(plant: Plant) -> None:
    token = do_create_token(plant.agent, actor=plant.system)
    browser = _signed_in("alice")
    assert browser.get("/incidents/").status_code == 200
    User.objects.filter(pk=plant.agent.pk).update(is_active=False)

    response = Client().get("/api/v1/incidents", headers=_bearer(token))
    assert response.status_code == 401 and "deactivated" in response.json()["detail"]

    page = browser.get("/incidents/", follow=True)
    assert page.redirect_chain[0][0].startswith("/login/?next=/incidents/")
    assert "This account is deactivated" in text(page)
    User.objects.filter(pk=plant.agent.pk).update(is_active=True)
    assert browser.get("/incidents/").status_code == 302  # the session is gone, not merely paused


def test_a_locked_accounts_open_session_ends_at_the_next_page(plant: Plant) -> None:
    browser = _signed_in("alice")
    assert browser.get("/incidents/").status_code == 200
    _lock("alice")
    page = browser.get("/incidents/", follow=True)
    assert page.redirect_chain[0][0].startswith("/login/")
    assert "locked after repeated failed sign-ins" in text(page)


def test_a_locked_session_calling_the_api_gets_401_json(plant: Plant) -> None:
    browser = _signed_in("alice")
    _lock("alice")
    response = browser.get("/api/v1/incidents")
    assert response.status_code == 401 and "locked" in response.json()["detail"]


def test_the_token_check_costs_one_query(plant: Plant, django_assert_num_queries: Any) -> None:
    token = do_create_token(plant.agent, actor=plant.system)
    check_token(token)  # the first use records last_used_at
    with django_assert_num_queries(1):
        assert check_token(token) == plant.agent


def test_the_session_lock_check_rides_on_the_user_query(plant: Plant) -> None:
    browser = _signed_in("alice")
    browser.get("/portal/")
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/portal/").status_code == 200
    lock_reads = [q["sql"] for q in queries.captured_queries if "accounts_loginfailure" in q["sql"]]
    assert len(lock_reads) == 1 and '"accounts_user"' in lock_reads[0]


@pytest.mark.parametrize(("minutes", "signed_in"), [(29, True), (31, False)])
def test_a_session_ends_after_the_idle_time(plant: Plant, minutes: int, signed_in: bool) -> None:
    with time_machine.travel(START, tick=False) as clock:
        browser = _signed_in("alice")
        assert browser.get("/incidents/").status_code == 200
        clock.shift(timedelta(minutes=minutes))
        page = browser.get("/incidents/", follow=True)
    assert (page.redirect_chain == []) is signed_in
    if not signed_in:
        assert page.redirect_chain[0][0].startswith("/login/?next=/incidents/")
        assert "signed out after 30 minutes without activity" in text(page)


def test_activity_keeps_the_session_open(plant: Plant) -> None:
    with time_machine.travel(START, tick=False) as clock:
        browser = _signed_in("alice")
        for _ in range(4):
            clock.shift(timedelta(minutes=20))
            assert browser.get("/incidents/").status_code == 200


def test_a_background_poll_does_not_keep_the_session_open(plant: Plant) -> None:
    with time_machine.travel(START, tick=False) as clock:
        browser = _signed_in("alice")
        assert browser.get("/events/alerts/").status_code == 200
        for _ in range(3):
            clock.shift(timedelta(minutes=10))
            assert browser.get("/events/alerts/", headers=POLL).status_code in (200, 204)
        clock.shift(timedelta(minutes=1))  # 31 minutes after the last real request
        poll = browser.get("/events/alerts/", headers=POLL)
        assert poll.status_code == 204 and poll["HX-Redirect"] == "/login/"
        assert browser.get("/events/alerts/").status_code == 302


def test_an_idle_sessions_htmx_and_api_requests_are_refused(plant: Plant, settings: Any) -> None:
    settings.SESSION_IDLE_MINUTES = 5
    with time_machine.travel(START, tick=False) as clock:
        htmx = _signed_in("alice")
        api = _signed_in("alice")
        clock.shift(timedelta(minutes=6))
        response = htmx.get("/incidents/", headers={"HX-Request": "true"})
        assert response.status_code == 204 and response["HX-Redirect"] == "/login/"
        answer = api.get("/api/v1/incidents")
        assert answer.status_code == 401
        assert answer.json()["detail"] == "You were signed out after 5 minutes without activity."


def test_a_password_change_ends_other_sessions_without_claiming_a_lock(plant: Plant) -> None:
    browser = _signed_in("alice")
    plant.agent.set_password("another long password")
    plant.agent.save()
    page = browser.get("/incidents/", follow=True)
    assert page.redirect_chain[0][0].startswith("/login/")
    assert "deactivated" not in text(page) and "locked" not in text(page)
