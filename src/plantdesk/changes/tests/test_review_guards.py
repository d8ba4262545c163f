"""Guards found missing by review: every one of these was possible once."""

from __future__ import annotations

import pytest

from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant, change_body, later, make_window
from plantdesk.changes.tests.helpers import approve_all, create, move, to_scheduled
from plantdesk.core.models import Signature
from plantdesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_plans_cis_and_dates_emptied_after_assessment_block_every_later_move(cp: ChangePlant) -> None:
    number = create(cp)
    assert move(cp, number, "assess").status_code == 200
    emptied = {"cis": [], "planned_start": None, "planned_end": None, "implementation_plan": ""}
    assert cp.api(cp.plant.agent).patch(f"/changes/{number}", emptied).status_code == 200
    response = move(cp, number, "authorize")
    assert response.status_code == 409
    assert {"cis", "planned_start", "implementation_plan"} <= {e["field"] for e in response.json()["errors"]}


def test_a_standard_change_keeps_its_templates_plan(cp: ChangePlant) -> None:
    body = {"type": "standard", "template": "Restart MES app pool", "cis": ["BER-FILE01"],
            "implementation_plan": "Wipe and reinstall the MES database"}  # fmt: skip
    response = cp.api(cp.plant.agent).post("/changes", body)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "implementation_plan"
    del body["implementation_plan"]
    number = cp.api(cp.plant.agent).post("/changes", body).json()["number"]
    patched = cp.api(cp.plant.agent).patch(f"/changes/{number}", {"backout_plan": "None."})
    assert patched.status_code == 400


def test_a_rejection_is_never_signed_as_an_approval(cp: ChangePlant) -> None:
    number = create(cp)
    move(cp, number, "assess")
    move(cp, number, "authorize")
    mine = next(a for a in cp.api(cp.cora).get(f"/changes/{number}/approvals").json()["items"]
                if a["approver"] == "cora")  # fmt: skip
    url = f"/approvals/{mine['id']}/decision"
    body = {"decision": "reject", "comment": "No.", "password": PASSWORD, "meaning": "approved"}
    assert cp.api(cp.cora).post(url, body).json()["errors"][0]["field"] == "meaning"
    del body["meaning"]
    signed = cp.api(cp.cora).post(url, body).json()["signature"]
    assert signed["meaning"] == "reviewed" and "reject: No." in signed["comment"]


def test_an_approver_at_another_site_can_read_and_decide(cp: ChangePlant) -> None:
    body = change_body(cis=["SIN-FILE01"], site="sin", assignee="", validation_impact="", qms_change_control_ref="")
    number = cp.api(cp.carl).post("/changes", body).json()["number"]
    cp.api(cp.carl).post(f"/changes/{number}/transitions", {"to": "assess"})
    cp.api(cp.carl).post(f"/changes/{number}/transitions", {"to": "authorize"})
    cora = cp.api(cp.cora)  # Berlin only, CAB member; carl requested it and does not approve it
    assert cora.get(f"/changes/{number}").status_code == 200
    mine = cora.get("/approvals").json()["items"][0]
    assert cora.post(f"/approvals/{mine['id']}/decision", {"decision": "approve"}).status_code == 200
    assert ChangeRequest.objects.get(number=number).approval == "approved"


def test_a_new_override_supersedes_the_earlier_one(cp: ChangePlant) -> None:
    app = cp.cis["BER-MES-APP01"]
    make_window("blackout", "Audit", later(4), later(7), [app], cp.carl)
    number = create(cp)
    url = f"/changes/{number}/conflicts/override"
    assert cp.api(cp.carl).post(url, {"reason": "First.", "password": PASSWORD}).status_code == 201
    make_window("blackout", "Campaign", later(4), later(7), [app], cp.carl)
    assert cp.api(cp.carl).post(url, {"reason": "Second.", "password": PASSWORD}).status_code == 201
    overrides = Signature.objects.filter(purpose="conflict_override").order_by("id")
    assert [s.valid for s in overrides] == [False, True]
    assert overrides[0].invalidated_reason == "Superseded by a new override."


def test_nobody_signs_off_their_own_change(cp: ChangePlant) -> None:
    response = cp.api(cp.plant.qa).post("/changes", change_body(assignee=""))
    number = response.json()["number"]
    own = cp.api(cp.plant.qa).post(f"/changes/{number}/signatures", {"purpose": "qa_pre_implement",
                                                                     "password": PASSWORD})  # fmt: skip
    assert own.status_code == 403
    make_window("blackout", "Audit", later(4), later(7), [cp.cis["BER-MES-APP01"]], cp.carl)
    mine = cp.api(cp.carl).post("/changes", change_body(assignee="")).json()["number"]
    refused = cp.api(cp.carl).post(f"/changes/{mine}/conflicts/override", {"reason": "x", "password": PASSWORD})
    assert refused.status_code == 403


def test_the_short_description_cannot_be_blanked(cp: ChangePlant) -> None:
    number = create(cp)
    for value in (None, "   "):
        response = cp.api(cp.plant.agent).patch(f"/changes/{number}", {"short_description": value})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "short_description"
    assert ChangeRequest.objects.get(number=number).short_description == "Patch MES app server"


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00Z"])
def test_absurd_dates_are_refused(cp: ChangePlant, when: str) -> None:
    response = cp.api(cp.plant.agent).post("/changes", change_body(planned_start=when))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "planned_start"


def test_another_sites_change_is_not_named_in_conflicts(cp: ChangePlant) -> None:
    sin = cp.api(cp.carl).post("/changes", change_body(cis=["SIN-FILE01"], site="sin", assignee="otto")).json()
    mine = create(cp, assignee="otto", cis=["BER-FILE01"])
    items = cp.api(cp.plant.agent).get(f"/changes/{mine}/conflicts").json()["items"]
    assert [(i["kind"], i["change"]) for i in items] == [("assignee_overlap", None)]
    assert sin["number"] not in items[0]["detail"] and "otto" not in items[0]["detail"]
    assert cp.api(cp.carl).get(f"/changes/{mine}/conflicts").json()["items"][0]["change"] == sin["number"]


def test_an_approved_change_stays_approved_only_while_its_plan_does(cp: ChangePlant) -> None:
    number = to_scheduled(cp, cis=["BER-FILE01"], assignee="")
    cp.api(cp.plant.agent).patch(f"/changes/{number}", {"test_plan": "A different test."})
    change = ChangeRequest.objects.get(number=number)
    assert (change.state, change.approval) == ("assess", "not_requested")
    move(cp, number, "authorize")
    approve_all(cp, number)
    assert ChangeRequest.objects.get(number=number).approval == "approved"


@pytest.mark.parametrize(
    "path",
    [
        "/windows?from=2026-01-01T00:00:00&to=2026-02-01T00:00:00Z",
        "/schedule/next-slot?cis=BER-FILE01&duration_minutes=60&after=9999-12-01T00:00:00Z",
        "/approvals?offset=100000000000000000000",
    ],
)
def test_out_of_range_queries_are_refused_not_crashed(cp: ChangePlant, path: str) -> None:
    path, _, query = path.partition("?")
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    assert cp.api(cp.carl).get(path, **params).status_code in (400, 422)


@pytest.mark.parametrize("path", ["/changes/cab/?from=9999-12-25", "/changes/schedule/?date=9999-12-15",
                                  "/changes/CHG%00/"])  # fmt: skip
def test_out_of_range_pages_do_not_crash(cp: ChangePlant, path: str) -> None:
    from plantdesk.testing.fixtures import client_for

    assert client_for(cp.carl).get(path).status_code in (200, 400, 404)
