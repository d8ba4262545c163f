"""Site scope holds for changes: only an administrator may take a change's site away, and a change without a
site is seen by the administrators and its own parties (requester, assignee, approvers) only."""

from __future__ import annotations

from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant
from plantdesk.changes.tests.helpers import create


def test_an_agent_cannot_remove_a_changes_site(cp: ChangePlant) -> None:
    number = create(cp)
    response = cp.api(cp.plant.agent).patch(f"/changes/{number}", {"site": None, "description": "moved"})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["site"]
    change = ChangeRequest.objects.get(number=number)
    assert change.site is not None and change.site.code == "ber" and change.description != "moved"


def test_a_siteless_change_is_seen_by_its_parties_and_administrators_only(cp: ChangePlant) -> None:
    number = create(cp)  # requested by alice, assigned to alice
    assert cp.api(cp.plant.admin).patch(f"/changes/{number}", {"site": None}).status_code == 200
    plant = cp.plant
    for user, sees in [(plant.agent, True), (plant.admin, True), (cp.cora, False), (plant.agent_sin, False),
                       (plant.manager, False), (plant.requester, False)]:  # fmt: skip
        api = cp.api(user)
        listed = [c["number"] for c in api.get("/changes").json()["items"]]
        assert (number in listed) is sees, user.username
        assert api.get(f"/changes/{number}").status_code == (200 if sees else 404), user.username
