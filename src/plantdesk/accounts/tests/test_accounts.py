"""Login, throttling, tokens and the permission choke point."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from plantdesk.accounts.actions import do_create_token
from plantdesk.accounts.models import ApiToken, User
from plantdesk.accounts.permissions import restrict
from plantdesk.accounts.tokens import user_for_token
from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import PASSWORD, Plant, make_incident


def _login(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_login_with_the_right_password_redirects(plant: Plant) -> None:
    assert _login(Client(), "alice", PASSWORD) == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(plant: Plant, settings: object) -> None:
    client = Client()
    for _ in range(5):
        assert _login(client, "alice", "wrong password") == 400
    assert _login(client, "alice", PASSWORD) == 400  # locked: refused without checking
    assert _login(Client(), "rita", PASSWORD) == 302  # other accounts are unaffected


def test_a_successful_login_clears_earlier_failures(plant: Plant) -> None:
    client = Client()
    for _ in range(4):
        _login(client, "alice", "wrong password")
    assert _login(client, "alice", PASSWORD) == 302
    for _ in range(4):
        _login(Client(), "alice", "wrong password")
    assert _login(Client(), "alice", PASSWORD) == 302


def test_revoked_tokens_and_inactive_users_are_refused(plant: Plant) -> None:
    from django.utils import timezone

    token = do_create_token(plant.agent, actor=plant.system)
    assert user_for_token(token) == plant.agent
    ApiToken.objects.filter(user=plant.agent).update(revoked_at=timezone.now())
    assert user_for_token(token) is None
    other = do_create_token(plant.requester, actor=plant.system)
    User.objects.filter(pk=plant.requester.pk).update(is_active=False)
    assert user_for_token(other) is None


def test_restrict_scopes_by_role(plant: Plant) -> None:
    berlin = make_incident(plant.agent, caller="rita")
    singapore = make_incident(plant.agent_sin, caller="sam")
    assert set(restrict(plant.admin, "view", Incident)) == {berlin, singapore}
    assert set(restrict(plant.agent, "view", Incident)) == {berlin}
    assert set(restrict(plant.agent_sin, "view", Incident)) == {singapore}
    assert set(restrict(plant.requester, "view", Incident)) == {berlin}
    assert set(restrict(plant.requester2, "view", Incident)) == set()
    plant.agent.is_active = False
    assert not restrict(plant.agent, "view", Incident).exists()


def test_restrict_refuses_a_model_without_a_scope(plant: Plant) -> None:
    with pytest.raises(LookupError, match="no registered permission scope"):
        restrict(plant.agent, "view", ApiToken)


def test_user_add_command_reads_the_password_from_stdin(plant: Plant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough passphrase\n"))
    out = io.StringIO()
    call_command("user", "add", "pia", "--role", "qa", "--site", "sin", "--group", "QA", stdout=out)
    assert "password:" not in out.getvalue()
    user = User.objects.get(username="pia")
    assert user.check_password("a long enough passphrase")
    assert user.time_zone == "Asia/Singapore"
    assert [s.code for s in user.sites.all()] == ["sin"]


def test_user_add_refuses_unknown_site_and_group(plant: Plant) -> None:
    with pytest.raises(CommandError, match="Unknown site 'xyz'"):
        call_command("user", "add", "pia", "--role", "qa", "--site", "xyz", stdout=io.StringIO())
    with pytest.raises(CommandError, match="Unknown assignment group"):
        call_command("user", "add", "pia", "--role", "qa", "--group", "Catering", stdout=io.StringIO())
    assert not User.objects.filter(username="pia").exists()


@pytest.mark.parametrize("name", ["<b>Desk</b>", "MES & OT", "Desk\nSupport", "Desk\u0085Support"])
def test_a_group_name_refuses_markup_and_control_characters(plant: Plant, name: str) -> None:
    from plantdesk.accounts.actions import do_create_group
    from plantdesk.accounts.models import AssignmentGroup
    from plantdesk.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        do_create_group(name, actor=plant.system)
    assert [e.field for e in refused.value.errors] == ["name"]
    assert not AssignmentGroup.objects.filter(name=name.strip()).exists()
    assert do_create_group("Instandhaltung Süd / Halle 2.1", actor=plant.system).pk


@pytest.mark.parametrize("code", ["<ber>", "b'r", "ber\x00", "ber\x7f"])
def test_a_site_code_refuses_markup_and_control_characters(plant: Plant, code: str) -> None:
    from plantdesk.accounts.actions import do_create_site
    from plantdesk.accounts.models import Site
    from plantdesk.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        do_create_site(code, "Plant", "Europe/Berlin", actor=plant.system)
    assert [e.field for e in refused.value.errors] == ["code"]
    assert Site.objects.count() == 2
