"""The kernel's own pages: the 403 page inside the layout, the navigation, a list's saved columns."""

from __future__ import annotations

from plantdesk.testing.fixtures import Plant, client_for, make_incident, refused_as_agents_only, text
from plantdesk.ui.models import ListColumns


def test_a_refusal_names_who_may_and_whom_to_ask_inside_the_layout(plant: Plant) -> None:
    response = client_for(plant.agent).get("/changes/windows/new/")
    page = text(response)
    assert response.status_code == 403
    assert "Windows are planned by change managers and administrators." in page
    assert "ask the service desk or an administrator" in page and 'class="topbar"' in page
    assert refused_as_agents_only(client_for(plant.requester).get("/events/alerts/"))


def test_the_integrations_are_in_the_navigation_of_administrators_only(plant: Plant) -> None:
    admin = text(client_for(plant.admin).get("/events/integrations/"))
    assert '<a href="/events/integrations/" aria-current="page">Integrations</a>' in admin
    assert '<a href="/events/alerts/">Alerts</a>' in admin  # the same section, not the current item
    assert 'href="/events/integrations/"' not in text(client_for(plant.agent).get("/events/alerts/"))
    assert 'href="/events/alerts/"' not in text(client_for(plant.requester).get("/portal/"))


def test_the_queue_columns_are_kept_per_person(plant: Plant) -> None:
    make_incident(plant.agent, short_description="Scanner offline", assignment_group="Service Desk")
    alice = client_for(plant.agent)
    assert '<th scope="col">Caller</th>' not in text(alice.get("/incidents/"))
    saved = alice.post(
        "/columns/incident_queue/", {"column": ["caller", "group", "nonsense"], "next": "/incidents/?view=all"}
    )
    assert (saved.status_code, saved["Location"]) == (303, "/incidents/?view=all")
    assert ListColumns.objects.get(user=plant.agent).columns == ["caller", "group"]
    page = text(alice.get("/incidents/"))
    assert '<th scope="col">Caller</th>' in page and '<th scope="col">Assignee</th>' not in page
    assert '<th scope="col">Assignee</th>' in text(client_for(plant.manager).get("/incidents/"))  # others: default


def test_saving_columns_refuses_unknown_lists_foreign_redirects_and_gets(plant: Plant) -> None:
    alice = client_for(plant.agent)
    assert alice.post("/columns/nope/", {"column": ["caller"]}).status_code == 404
    assert alice.post("/columns/incident_queue/", {"next": "https://evil.example/"})["Location"] == "/"
    assert alice.get("/columns/incident_queue/").status_code == 405
    assert not ListColumns.objects.exclude(columns=[]).exists()
