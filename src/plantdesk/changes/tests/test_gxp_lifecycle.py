"""A GxP change from new to closed through the API, and every guard on its way."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from plantdesk.changes.models import ChangeRequest, ChangeTask
from plantdesk.changes.tests.conftest import ChangePlant, later, make_window
from plantdesk.changes.tests.helpers import approve_all, create, move, qa_sign, to_scheduled
from plantdesk.core.models import Signature
from plantdesk.core.signatures import verify
from plantdesk.testing.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def _fields(response: object) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}  # type: ignore[attr-defined]


def test_gxp_change_new_to_closed_with_every_guard(cp: ChangePlant) -> None:
    number = to_scheduled(cp, cis=["BER-MES-APP01", "BER-L3-PLC01"])
    api = cp.api(cp.plant.agent)
    refused = move(cp, number, "implement")
    assert refused.status_code == 409 and _fields(refused) == {"qa_signature"}
    assert (
        cp.api(cp.plant.agent)
        .post(f"/changes/{number}/signatures", {"purpose": "qa_pre_implement", "password": PASSWORD})
        .status_code
        == 403
    )  # only QA signs as QA
    signed = qa_sign(cp, number, "qa_pre_implement")
    assert signed.status_code == 201
    assert signed.json()["manifestation"].startswith("Signed by Quinn Tester (quinn) on ")
    assert signed.json()["manifestation"].endswith("UTC, meaning: QA approved")
    assert move(cp, number, "implement").status_code == 200
    assert api.get(f"/changes/{number}").json()["actual_start"] is not None

    locked_plan = api.patch(f"/changes/{number}", {"backout_plan": "Something else"})
    assert locked_plan.status_code == 409  # the plan is locked while implementing
    assert _fields(move(cp, number, "review")) == {"tasks"}  # the OT tasks of the PLC
    for task in api.get(f"/changes/{number}/tasks").json()["items"]:
        assert api.post(f"/changes/{number}/tasks/{task['id']}", {"state": "done"}).status_code == 200
    assert move(cp, number, "review").status_code == 200

    refused = move(cp, number, "closed")
    assert _fields(refused) == {"review_outcome", "verification_evidence", "qa_signature"}
    api.patch(f"/changes/{number}", {"review_outcome": "successful", "verification_evidence": "OQ-17 passed."})
    assert qa_sign(cp, number, "qa_close").status_code == 201
    assert move(cp, number, "closed").status_code == 200
    stats = api.get("/changes/stats").json()
    assert stats["closed"] == 1 and stats["success_rate"] == 1.0


def test_editing_a_signed_field_invalidates_the_signature_and_sends_the_change_back(cp: ChangePlant) -> None:
    number = to_scheduled(cp)
    assert qa_sign(cp, number, "qa_pre_implement").status_code == 201
    api = cp.api(cp.plant.agent)
    response = api.patch(f"/changes/{number}", {"planned_end": later(5, 3).isoformat()})
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["approval"]) == ("assess", "not_requested")
    sigs = api.get(f"/changes/{number}/signatures").json()["items"]
    assert sigs and not any(s["valid"] for s in sigs)
    qa = next(s for s in sigs if s["purpose"] == "qa_pre_implement")
    assert "planned_end" in qa["invalidated_reason"]
    assert "INVALIDATED" in qa["manifestation"]
    # An edit of an unsigned field voids nothing.
    number2 = to_scheduled(cp, cis=["BER-FILE01"], assignee="")
    assert api.patch(f"/changes/{number2}", {"description": "More words."}).json()["state"] == "scheduled"


def test_a_blackout_and_a_production_run_block_scheduling_until_a_signed_override(cp: ChangePlant) -> None:
    app = cp.cis["BER-MES-APP01"]
    make_window("blackout", "Year-end closing", later(4), later(7), [app], cp.carl)
    make_window("production_run", "Order 4711", later(5, 1), later(5, 8), [app], cp.carl, run_state="running",
                external_id="MES:4711")  # fmt: skip
    make_window("production_run", "Order 4700 (done)", later(5), later(5, 1), [app], cp.carl, run_state="completed")
    number = create(cp)
    kinds = sorted(c["kind"] for c in cp.api(cp.plant.agent).get(f"/changes/{number}/conflicts").json()["items"])
    assert kinds == ["blackout", "production_run"]
    move(cp, number, "assess")
    move(cp, number, "authorize")
    approve_all(cp, number)
    refused = move(cp, number, "scheduled")
    assert refused.status_code == 409 and _fields(refused) == {"conflicts"}
    assert "Year-end closing" in refused.json()["detail"] and "Order 4711" in refused.json()["detail"]

    url = f"/changes/{number}/conflicts/override"
    assert cp.api(cp.plant.agent).post(url, {"reason": "x", "password": PASSWORD}).status_code == 403
    assert cp.api(cp.carl).post(url, {"reason": "Plant manager agreed.", "password": "nope"}).status_code == 403
    assert cp.api(cp.carl).post(url, {"reason": "", "password": PASSWORD}).status_code == 400
    signed = cp.api(cp.carl).post(url, {"reason": "Plant manager agreed.", "password": PASSWORD})
    assert signed.status_code == 201 and signed.json()["purpose"] == "conflict_override"
    assert all(c["overridden"] for c in cp.api(cp.carl).get(f"/changes/{number}/conflicts").json()["items"])
    assert move(cp, number, "scheduled").status_code == 200

    # A conflict that appears later is not covered: implementation is blocked again.
    make_window("blackout", "Customer audit", later(5), later(6), [app], cp.carl)
    assert qa_sign(cp, number, "qa_pre_implement").status_code == 201
    refused = move(cp, number, "implement")
    assert _fields(refused) == {"conflicts"} and "Customer audit" in refused.json()["detail"]


def test_overlapping_change_and_double_booked_assignee_are_conflicts(cp: ChangePlant) -> None:
    first = create(cp)
    second = create(cp)
    items = cp.api(cp.plant.agent).get(f"/changes/{second}/conflicts").json()["items"]
    assert {(c["kind"], c["change"]) for c in items} == {("ci_overlap", first), ("assignee_overlap", first)}
    moved = cp.api(cp.plant.agent).patch(
        f"/changes/{second}", {"planned_start": later(9).isoformat(), "planned_end": later(9, 2).isoformat()}
    )
    assert moved.status_code == 200
    assert cp.api(cp.plant.agent).get(f"/changes/{second}/conflicts").json()["items"] == []


def test_emergency_gxp_change_proceeds_then_needs_retrospective_qa_and_a_deviation(cp: ChangePlant) -> None:
    number = create(cp, type="emergency", planned_start=later(0, 1).isoformat(), planned_end=later(0, 3).isoformat())
    assert move(cp, number, "assess").status_code == 409  # emergency changes skip assessment
    assert move(cp, number, "authorize").status_code == 200
    approve_all(cp, number)
    assert move(cp, number, "scheduled").status_code == 200
    assert move(cp, number, "implement").status_code == 200  # no QA signature needed up front
    change = cp.api(cp.plant.agent).get(f"/changes/{number}").json()
    assert change["retrospective_due_at"] is not None
    assert move(cp, number, "review").status_code == 200
    cp.api(cp.plant.agent).patch(f"/changes/{number}", {"review_outcome": "successful", "verification_evidence": "ok"})
    qa_sign(cp, number, "qa_close")
    assert _fields(move(cp, number, "closed")) == {"qa_signature", "deviation_ref"}
    assert qa_sign(cp, number, "qa_retrospective").status_code == 201
    cp.api(cp.plant.agent).patch(f"/changes/{number}", {"deviation_ref": "DEV-2026-077"})
    refused = move(cp, number, "closed")
    assert _fields(refused) == {"qa_signature"}  # the deviation reference was a signed close field: sign again
    qa_sign(cp, number, "qa_close")
    assert move(cp, number, "closed").status_code == 200


def test_standard_change_from_the_catalog_needs_no_approval(cp: ChangePlant) -> None:
    body = {"type": "standard", "template": "Restart MES app pool", "cis": ["BER-FILE01"],
            "planned_start": later(1).isoformat(), "planned_end": later(1, 1).isoformat()}  # fmt: skip
    response = cp.api(cp.plant.agent).post("/changes", body)
    assert response.status_code == 201
    number = response.json()["number"]
    assert response.json()["implementation_plan"] == "Recycle the pool."
    assert move(cp, number, "assess").status_code == 409
    for to in ("scheduled", "implement", "review"):
        assert move(cp, number, to).status_code == 200, to
    cp.api(cp.plant.agent).patch(f"/changes/{number}", {"review_outcome": "successful"})
    assert move(cp, number, "closed").status_code == 200
    assert cp.api(cp.plant.agent).get(f"/changes/{number}/approvals").json()["items"] == []


def test_a_caused_incident_is_linked_once_implemented(cp: ChangePlant) -> None:
    from plantdesk.testing.fixtures import make_incident

    incident = make_incident(cp.plant.agent)
    number = to_scheduled(cp, cis=["BER-FILE01"])
    url = f"/changes/{number}/caused-incidents"
    assert cp.api(cp.plant.agent).post(url, {"incident": incident.number}).status_code == 201
    assert cp.api(cp.plant.agent).post(url, {"incident": "INC9999999"}).json()["errors"][0]["field"] == "incident"
    assert [i["number"] for i in cp.api(cp.plant.agent).get(url).json()["items"]] == [incident.number]


def test_signatures_cannot_be_moved_rewritten_or_deleted(cp: ChangePlant) -> None:
    first = to_scheduled(cp)
    other = create(cp, cis=["BER-FILE01"])
    qa_sign(cp, first, "qa_pre_implement")
    sig = Signature.objects.get(purpose="qa_pre_implement")
    target = ChangeRequest.objects.get(number=other)
    for statement in (
        lambda: Signature.objects.filter(pk=sig.pk).update(record_id=target.pk),
        lambda: Signature.objects.filter(pk=sig.pk).update(printed_name="Someone Else"),
        lambda: Signature.objects.filter(pk=sig.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement()
    # A copy on another record (inserted, as a tool could) does not verify there.
    sig.pk, sig.record_id, sig.record_label = None, target.pk, target.number
    sig.save(force_insert=True)
    from plantdesk.changes.record import signable_values

    assert not verify(sig, signable_values(target))
    assert cp.api(cp.plant.agent).post(f"/changes/{other}/transitions", {"to": "assess"}).status_code == 200


def test_tasks_are_worked_only_while_scheduled_or_implementing(cp: ChangePlant) -> None:
    number = create(cp, cis=["BER-L3-PLC01"], validation_impact="", qms_change_control_ref="")
    task = ChangeTask.objects.filter(change__number=number).first()
    assert task is not None
    response = cp.api(cp.plant.agent).post(f"/changes/{number}/tasks/{task.pk}", {"state": "done"})
    assert response.status_code == 409
