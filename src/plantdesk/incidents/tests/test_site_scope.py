"""Site scope holds: only an administrator may take an incident's site away, and an incident without a site
is seen by the administrators and its own parties only (list, search, detail, journal, history, pages)."""

from __future__ import annotations

import pytest

from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, make_incident


def _siteless(plant: Plant) -> Incident:
    """A Berlin incident raised by alice for rob, assigned to otto, whose site an administrator removed."""
    incident = make_incident(plant.agent, caller="rob", short_description="Label printer jams on line 3")
    body = {"assignment_group": "OT Engineering", "assignee": "otto"}
    assert ApiClient(plant.admin).patch(f"/incidents/{incident.number}", body).status_code == 200
    assert ApiClient(plant.admin).patch(f"/incidents/{incident.number}", {"site": None}).status_code == 200
    incident.refresh_from_db()
    assert incident.site is None
    return incident


@pytest.mark.parametrize("cleared", [None, ""])
def test_an_agent_cannot_remove_an_incidents_site(plant: Plant, cleared: str | None) -> None:
    incident = make_incident(plant.agent, caller="rita")
    before = incident.updated_at
    response = ApiClient(plant.agent).patch(f"/incidents/{incident.number}", {"site": cleared, "urgency": 1})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["site"]
    incident.refresh_from_db()
    assert incident.site is not None and incident.site.code == "ber"
    assert incident.urgency == 2 and incident.updated_at == before  # nothing of the request was applied


def test_an_agent_may_still_move_an_incident_to_another_site(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    assert ApiClient(plant.agent).patch(f"/incidents/{incident.number}", {"site": "sin"}).status_code == 200


def test_an_administrator_can_remove_the_site(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    response = ApiClient(plant.admin).patch(f"/incidents/{incident.number}", {"site": None})
    assert response.status_code == 200 and response.json()["site"] is None


def test_a_siteless_incident_is_seen_by_its_parties_and_administrators_only(plant: Plant) -> None:
    incident = _siteless(plant)
    path = f"/incidents/{incident.number}"
    parties = {"alice": plant.agent, "rob": plant.requester2, "otto": plant.ot_agent, "admin": plant.admin}
    others = {"siti": plant.agent_sin, "maria": plant.manager, "rita": plant.requester, "sam": plant.requester_sin}
    for name, user in {**parties, **others}.items():
        api = ApiClient(user)
        sees = name in parties
        listed = [i["number"] for i in api.get("/incidents", q="Label printer").json()["items"]]
        assert (incident.number in listed) is sees, name
        assert api.get(path).status_code == (200 if sees else 404), name
        assert api.get(f"{path}/comments").status_code == (200 if sees else 404), name
        assert api.get(f"{path}/history").status_code == (200 if sees else 404), name


def test_a_siteless_incidents_page_is_hidden_from_other_agents(plant: Plant) -> None:
    incident = _siteless(plant)
    assert client_for(plant.manager).get(f"/incidents/{incident.number}/").status_code == 404
    assert client_for(plant.ot_agent).get(f"/incidents/{incident.number}/").status_code == 200
    queue = client_for(plant.agent_sin).get("/incidents/", {"q": "Label printer"})
    assert incident.number not in queue.content.decode()
