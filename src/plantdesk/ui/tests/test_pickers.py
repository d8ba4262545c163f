"""The pickers' suggestions: what was typed, matched by name, and never what the person may not see."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.accounts.models import User
from plantdesk.testing.fixtures import Plant, client_for, suggestions, text


def test_agents_are_suggested_by_first_name_last_name_or_username(plant: Plant) -> None:
    agent = client_for(plant.agent)
    assert suggestions(agent.get("/suggest/agents/", {"assignee": "ott"})) == {"otto": "Otto Tester"}
    assert set(suggestions(agent.get("/suggest/agents/", {"assignee": "tes"}))) == {"otto", "maria", "quinn", "admin"}
    assert "rita" not in suggestions(agent.get("/suggest/agents/", {"assignee": "rit"}))  # a requester works nothing
    assert suggestions(agent.get("/suggest/people/", {"caller": "rit"})) == {"rita": "Rita Requester"}


def test_people_of_other_sites_and_deactivated_people_are_not_suggested(plant: Plant) -> None:
    berlin = client_for(plant.agent)
    assert "siti" not in suggestions(berlin.get("/suggest/agents/", {"assignee": "sit"}))  # Singapore only
    assert "siti" in suggestions(client_for(plant.manager).get("/suggest/agents/", {"assignee": "sit"}))
    assert "siti" in suggestions(client_for(plant.admin).get("/suggest/agents/", {"assignee": "sit"}))
    User.objects.filter(pk=plant.ot_agent.pk).update(is_active=False)  # as an administrator deactivating him
    assert "otto" not in suggestions(berlin.get("/suggest/agents/", {"assignee": "ott"}))


def test_a_requester_is_suggested_only_themself_and_no_group(plant: Plant) -> None:
    requester = client_for(plant.requester)
    assert suggestions(requester.get("/suggest/people/", {"caller": "r"})) == {}  # too short: nothing asked
    assert suggestions(requester.get("/suggest/people/", {"caller": "ri"})) == {"rita": "Rita Requester"}
    assert suggestions(requester.get("/suggest/people/", {"caller": "al"})) == {}
    assert suggestions(requester.get("/suggest/groups/", {"assignment_group": "ser"})) == {}
    assert "No match that you can see" in text(requester.get("/suggest/groups/", {"assignment_group": "ser"}))


def test_groups_are_suggested_by_any_word_of_their_name(plant: Plant) -> None:
    agent = client_for(plant.agent)
    assert set(suggestions(agent.get("/suggest/groups/", {"assignment_group": "sup"}))) == {"MES Support"}
    assert set(suggestions(agent.get("/suggest/groups/", {"assignment_group": "Ser"}))) == {"Service Desk"}


def test_suggestions_take_one_query_whatever_they_list(plant: Plant) -> None:
    agent = client_for(plant.agent)
    agent.get("/suggest/people/", {"caller": "te"})  # warm the session
    with CaptureQueriesContext(connection) as captured:
        found = suggestions(agent.get("/suggest/people/", {"caller": "te"}))
    assert len(found) >= 3
    # The session, its user, the user's sites (their scope) and the one search: none per suggested person.
    assert len(captured.captured_queries) <= 4


def test_suggestions_want_a_signed_in_user_and_a_get(plant: Plant) -> None:
    from django.test import Client

    assert Client().get("/suggest/people/", {"caller": "ri"}).status_code == 302  # to the login
    assert client_for(plant.agent).post("/suggest/groups/", {"assignment_group": "ser"}).status_code == 405


def test_the_forms_offer_the_pickers_with_their_suggestion_urls(plant: Plant) -> None:
    page = text(client_for(plant.agent).get("/incidents/new/"))
    for name, url in (("assignment_group", "/suggest/groups/"), ("assignee", "/suggest/agents/"),
                      ("caller", "/suggest/people/"), ("ci", "/cmdb/suggest/")):  # fmt: skip
        assert (
            f'name="{name}"' in page and f'hx-get="{url}"' in page and f'aria-controls="id_{name}-suggestions"' in page
        )
