"""A GxP item from order to access: manager then QA (signed), tasks stage by stage, the request following."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from plantdesk.core.models import AuditEntry, Signature
from plantdesk.requests.models import AccessGrant, FulfilmentTask
from plantdesk.requests.tests.conftest import LIMS_ANSWERS, Catalog, assert_error, order
from plantdesk.slas.actions import do_create_definition, do_create_schedule
from plantdesk.testing.fixtures import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def my_approval(api: ApiClient, item: str) -> dict[str, Any]:
    return next(a for a in api.get("/approvals").json()["items"] if a["record"] == item)


def approved_lims(catalog: Catalog) -> str:
    """A LIMS item ordered by rita and approved by maria and quinn (signed); its number."""
    p = catalog.plant
    item = order(catalog.api(p.requester), "lims-role-access", LIMS_ANSWERS).json()["items"][0]["number"]
    for user, body in ((p.manager, {}), (p.qa, {"password": PASSWORD})):
        api = catalog.api(user)
        response = api.post(f"/approvals/{my_approval(api, item)['id']}/decision", {"decision": "approve", **body})
        assert response.status_code == 200, response.content
    return item


def test_approvals_run_in_order_and_qa_signs(catalog: Catalog) -> None:
    p = catalog.plant
    item = order(catalog.api(p.requester), "lims-role-access", LIMS_ANSWERS).json()["items"][0]["number"]
    maria, quinn = catalog.api(p.manager), catalog.api(p.qa)
    assert [a["record"] for a in quinn.get("/approvals").json()["items"]] == []  # not QA's turn yet
    mine = my_approval(maria, item)
    assert mine["record_type"] == "request_item" and mine["change"] is None and mine["step"] == "manager"
    assert maria.post(f"/approvals/{mine['id']}/decision", {"decision": "approve"}).status_code == 200
    qa = my_approval(quinn, item)
    assert qa["signature_required"] is True
    assert_error(quinn.post(f"/approvals/{qa['id']}/decision", {"decision": "approve"}), 403)
    assert_error(quinn.post(f"/approvals/{qa['id']}/decision", {"decision": "approve", "password": "wrong"}), 403)
    assert catalog.api(p.requester).get(f"/request-items/{item}").json()["state"] == "pending_approval"
    signed = quinn.post(f"/approvals/{qa['id']}/decision", {"decision": "approve", "password": PASSWORD})
    assert signed.status_code == 200, signed.content
    sig = Signature.objects.get(record_label=item)
    assert (sig.username, sig.meaning) == ("quinn", "approved")
    body = catalog.api(p.requester).get(f"/request-items/{item}").json()
    assert body["state"] == "in_fulfilment" and body["stage"] == 1
    assert [a["signed"] for a in body["approvals"]] == [False, True]


def test_a_rejection_ends_the_item_and_tells_the_requester(catalog: Catalog) -> None:
    p = catalog.plant
    rita = catalog.api(p.requester)
    created = order(rita, "lims-role-access", LIMS_ANSWERS).json()
    item = created["items"][0]["number"]
    maria = catalog.api(p.manager)
    approval = my_approval(maria, item)
    assert_error(maria.post(f"/approvals/{approval['id']}/decision", {"decision": "reject"}), 400, "comment")
    response = maria.post(f"/approvals/{approval['id']}/decision",
                          {"decision": "reject", "comment": "Use the shared reviewer account"})  # fmt: skip
    assert response.status_code == 200, response.content
    body = rita.get(f"/request-items/{item}").json()
    assert body["state"] == "rejected" and body["rejection_reason"] == "Use the shared reviewer account"
    assert [a["state"] for a in body["approvals"]] == ["rejected", "not_required"]  # QA is never asked
    assert rita.get(f"/requests/{created['number']}").json()["state"] == "rejected"
    comments = [c["body"] for c in rita.get(f"/request-items/{item}/comments").json()["items"]]
    assert any("Use the shared reviewer account" in c for c in comments)
    assert FulfilmentTask.objects.count() == 0


def test_stages_run_in_order_and_the_last_one_fulfils_with_access(catalog: Catalog) -> None:
    p = catalog.plant
    item = approved_lims(catalog)
    alice = catalog.api(p.agent)  # MES Support and Service Desk
    tasks = alice.get(f"/request-items/{item}/tasks").json()["items"]
    assert [(t["stage"], t["active"], t["assignment_group"]) for t in tasks] == [
        (1, True, "MES Support"), (2, False, "Service Desk"), (2, False, "MES Support"),
    ]  # fmt: skip
    mine = [t["number"] for t in alice.get("/tasks", mine="true").json()["items"]]
    assert mine == [tasks[0]["number"]]  # a stage not reached is nobody's work yet
    early = assert_error(alice.post(f"/tasks/{tasks[1]['number']}/transitions", {"to": "closed_complete"}), 409)
    assert "stage 2" in early["detail"]
    taken = alice.post(f"/tasks/{tasks[0]['number']}/transitions", {"to": "in_progress"}).json()
    assert taken["assignee"] == "alice" and taken["state"] == "in_progress"
    assert alice.post(f"/tasks/{tasks[0]['number']}/transitions", {"to": "closed_complete"}).status_code == 200
    assert alice.get(f"/request-items/{item}").json()["stage"] == 2
    assert_error(alice.post(f"/tasks/{tasks[1]['number']}/transitions", {"to": "closed_skipped"}), 400, "notes")
    assert alice.post(f"/tasks/{tasks[1]['number']}/transitions",
                      {"to": "closed_skipped", "notes": "Trained last week"}).status_code == 200  # fmt: skip
    assert alice.get(f"/request-items/{item}").json()["state"] == "in_fulfilment"  # its sibling is open
    assert alice.post(f"/tasks/{tasks[2]['number']}/transitions", {"to": "closed_complete"}).status_code == 200
    body = catalog.api(p.requester).get(f"/request-items/{item}").json()
    assert body["state"] == "fulfilled" and body["closed_at"]
    grant = body["access_grant"]
    assert (grant["user"], grant["system"], grant["role"], grant["state"]) == ("rita", "BER-LIMS01", "analyst",
                                                                              "active")  # fmt: skip
    granted = AccessGrant.objects.get()
    assert granted.expires_at - granted.granted_at == timedelta(days=90)
    assert catalog.api(p.requester).get(f"/requests/{body['request']}").json()["state"] == "completed"
    assert_error(alice.post(f"/tasks/{tasks[2]['number']}/transitions", {"to": "in_progress"}), 409)
    history = {(h["field"], h["new"]) for h in alice.get(f"/request-items/{item}/history").json()["items"]}
    assert ("state", "fulfilled") in {(f, n) for f, n in history}
    assert AuditEntry.objects.filter(record_type="task", record_label=tasks[1]["number"]).exists()


def test_requesters_do_not_work_tasks(catalog: Catalog) -> None:
    p = catalog.plant
    item = approved_lims(catalog)
    task = FulfilmentTask.objects.filter(request_item__number=item).first()
    assert task is not None
    rita = catalog.api(p.requester)
    assert rita.get(f"/tasks/{task.number}").status_code == 404
    assert rita.post(f"/tasks/{task.number}/transitions", {"to": "closed_complete"}).status_code == 404
    assert_error(catalog.api(p.agent).post(f"/tasks/{task.number}/transitions", {"to": "done"}), 400, "to")
    assert FulfilmentTask.objects.get(pk=task.pk).state == "open"


def test_an_item_can_be_canceled_by_its_requester_until_fulfilled(catalog: Catalog) -> None:
    p = catalog.plant
    rita = catalog.api(p.requester)
    item = order(rita, "lims-role-access", LIMS_ANSWERS).json()["items"][0]["number"]
    assert_error(rita.post(f"/request-items/{item}/cancel", {}), 400, "reason")
    body = rita.post(f"/request-items/{item}/cancel", {"reason": "Moved to another line"}).json()
    assert body["state"] == "canceled" and all(a["state"] == "not_required" for a in body["approvals"])
    assert catalog.api(p.manager).get("/approvals").json()["items"] == []
    assert_error(rita.post(f"/request-items/{item}/cancel", {"reason": "again"}), 409)


def test_sla_definitions_measure_fulfilment_and_pause_for_approvers(catalog: Catalog) -> None:
    p = catalog.plant
    do_create_schedule({"name": "24x7", "time_zone": "UTC",
                        "hours": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]}, actor=p.admin)  # fmt: skip
    do_create_definition(
        {"name": "Access in 3 days", "record_type": "request_item", "target": "resolution", "duration": "P3D",
         "schedule": "24x7", "conditions": {"gxp_relevant": [True]}, "pause_hold_reasons": ["awaiting_approval"]},
        actor=p.admin,
    )  # fmt: skip
    rita = catalog.api(p.requester)
    waiting = order(rita, "lims-role-access", LIMS_ANSWERS).json()["items"][0]
    assert [(c["definition"], c["state"]) for c in waiting["sla"]] == [("Access in 3 days", "paused")]
    item = approved_lims(catalog)
    assert [c["state"] for c in rita.get(f"/request-items/{item}").json()["sla"]] == ["running"]
    for task in FulfilmentTask.objects.filter(request_item__number=item).order_by("stage", "id"):
        assert catalog.api(p.agent).post(f"/tasks/{task.number}/transitions",
                                         {"to": "closed_complete"}).status_code == 200  # fmt: skip
    assert [c["state"] for c in rita.get(f"/request-items/{item}").json()["sla"]] == ["achieved"]
    report = order(rita, "report-setup", {"report": "x"}).json()["items"][0]
    assert report["sla"] == []  # the definition selects GxP items only
