"""Time-boxed access: grants end on time or with the change / incident they serve, and a task removes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import Max

from plantdesk.accounts.actions import get_system_user
from plantdesk.composition.worker import run_round
from plantdesk.core import audit
from plantdesk.core.models import AuditEntry, DomainEvent, JournalEntry
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.requests.access import expire_due_grants, grant_for
from plantdesk.requests.models import (
    GRANT_RECORD_TYPE,
    ITEM_RECORD_TYPE,
    TASK_RECORD_TYPE,
    AccessGrant,
    FulfilmentTask,
    RequestItem,
)
from plantdesk.requests.tests.conftest import Catalog, assert_error, order
from plantdesk.requests.tests.test_approvals_fulfilment import approved_lims, my_approval
from plantdesk.testing.fixtures import make_incident

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def vendor_access(catalog: Catalog, reference: str, days: int = 3) -> str:
    """Vendor access for rita, approved by OT Engineering (otto); the item's number."""
    answers = {"vendor": "Siemens", "reference": reference, "days": days}
    created = order(catalog.api(catalog.plant.requester), "vendor-remote-access", answers)
    assert created.status_code == 201, created.content
    item = created.json()["items"][0]["number"]
    otto = catalog.api(catalog.plant.ot_agent)
    assert otto.post(f"/approvals/{my_approval(otto, item)['id']}/decision", {"decision": "approve"}).status_code == 200
    return str(item)


def test_access_expires_on_time_and_its_removal_is_a_task(catalog: Catalog) -> None:
    p = catalog.plant
    with time_machine.travel(START, tick=False):
        item = approved_lims(catalog)
        for task in FulfilmentTask.objects.filter(request_item__number=item).order_by("stage", "id"):
            catalog.api(p.agent).post(f"/tasks/{task.number}/transitions", {"to": "closed_complete"})
        assert catalog.api(p.agent).get("/access-grants", active="true", system="BER-LIMS01").json()["count"] == 1
    with time_machine.travel(START + timedelta(days=89, hours=23), tick=False):
        run_round("test", stopping=lambda: False)
        assert AccessGrant.objects.get().state == "active"
    with time_machine.travel(START + timedelta(days=90, minutes=1), tick=False):
        run_round("test", stopping=lambda: False)
        grant = AccessGrant.objects.get()
        assert grant.state == "expired" and grant.removed_at is None
        listed = catalog.api(p.agent).get("/access-grants", active="true", system="BER-LIMS01").json()
        assert listed["count"] == 0
        revoke = FulfilmentTask.objects.get(purpose="revoke")
        assert revoke.assignment_group is not None and revoke.assignment_group.name == "MES Support"
        assert revoke.active and "analyst" in revoke.short_description
        # the requester is told; the item stays fulfilled
        comments = [c["body"] for c in catalog.api(p.requester).get(f"/request-items/{item}/comments").json()["items"]]
        assert any("expired" in c for c in comments)
        assert RequestItem.objects.get(number=item).state == "fulfilled"
        done = catalog.api(p.agent).post(f"/tasks/{revoke.number}/transitions", {"to": "closed_complete"})
        assert done.status_code == 200, done.content
        assert AccessGrant.objects.get().removed_at == START + timedelta(days=90, minutes=1)
        run_round("test", stopping=lambda: False)
        assert FulfilmentTask.objects.filter(purpose="revoke").count() == 1  # ended once


def test_vendor_access_needs_an_open_change_or_incident_and_ends_with_it(catalog: Catalog) -> None:
    p = catalog.plant
    rita = catalog.api(p.requester)
    for bad in ("", "CHG9999999", "next week"):
        assert_error(order(rita, "vendor-remote-access", {"vendor": "Siemens", "reference": bad, "days": 2}), 400,
                     "items[0].answers.reference")  # fmt: skip
    incident = make_incident(p.agent, short_description="OT gateway drops the line 3 PLC", ci="BER-OTGW01")
    assert_error(order(rita, "vendor-remote-access", {"vendor": "Siemens", "reference": incident.number,
                                                      "days": 30}), 400, "items[0].answers.days")  # fmt: skip
    item = vendor_access(catalog, incident.number)
    grant = AccessGrant.objects.get(request_item__number=item)
    assert grant.reference_incident == incident and grant.role == "vendor remote" and grant.state == "active"
    assert grant.expires_at - grant.granted_at == timedelta(days=3)
    listed = catalog.api(p.ot_agent).get("/access-grants", system="BER-OTGW01").json()["items"]
    assert listed[0]["reference"] == incident.number
    do_transition_incident(Incident.objects.get(pk=incident.pk), "resolved", actor=p.agent,
                           resolution_code="solved_fix", resolution_notes="Vendor replaced the module")  # fmt: skip
    run_round("test", stopping=lambda: False)
    grant.refresh_from_db()
    assert grant.state == "revoked" and incident.number in grant.ended_reason
    assert FulfilmentTask.objects.get(purpose="revoke").assignment_group.name == "OT Engineering"


def test_an_agent_revokes_access_early_with_a_reason(catalog: Catalog) -> None:
    p = catalog.plant
    incident = make_incident(p.agent, short_description="HMI firmware update", ci="BER-OTGW01")
    vendor_access(catalog, incident.number)
    grant = AccessGrant.objects.get()
    assert_error(catalog.api(p.requester).post(f"/access-grants/{grant.pk}/revoke", {"reason": "x"}), 404)
    otto = catalog.api(p.ot_agent)
    assert_error(otto.post(f"/access-grants/{grant.pk}/revoke", {}), 400, "reason")
    body = otto.post(f"/access-grants/{grant.pk}/revoke", {"reason": "Vendor finished early"}).json()
    assert body["state"] == "revoked" and body["ended_reason"] == "Vendor finished early"
    assert_error(otto.post(f"/access-grants/{grant.pk}/revoke", {"reason": "again"}), 409)
    assert AuditEntry.objects.filter(record_type="access_grant", field="state", new="revoked").exists()
    mine = catalog.api(p.requester).get("/access-grants").json()["items"]
    assert [g["state"] for g in mine] == ["revoked"]  # people read their own access


def test_a_batch_of_grants_ends_together_each_with_its_task_audit_events_and_note(catalog: Catalog) -> None:
    p = catalog.plant
    with time_machine.travel(START, tick=False):
        number = approved_lims(catalog)
        for task in FulfilmentTask.objects.filter(request_item__number=number).order_by("stage", "id"):
            catalog.api(p.agent).post(f"/tasks/{task.number}/transitions", {"to": "closed_complete"})
        item = RequestItem.objects.get(number=number)
        with audit.action_transaction():  # more grants of the same kind, as many items would give
            for _ in range(24):
                grant_for(item, actor=get_system_user())
    with time_machine.travel(START + timedelta(days=89), tick=False):
        incident = make_incident(p.agent, short_description="OT gateway firmware", ci="BER-OTGW01")
        vendor_access(catalog, incident.number)
        do_transition_incident(Incident.objects.get(pk=incident.pk), "resolved", actor=p.agent,
                               resolution_code="solved_fix", resolution_notes="Vendor replaced the module")  # fmt: skip
    now = START + timedelta(days=90, minutes=1)
    grants = list(AccessGrant.objects.order_by("expires_at", "id"))
    assert len(grants) == 26 and grants[-1].reference_incident_id == incident.pk
    with time_machine.travel(now, tick=False):
        events_before = DomainEvent.objects.aggregate(last=Max("id"))["last"] or 0
        seq_before = AuditEntry.objects.aggregate(last=Max("seq"))["last"] or 0
        assert expire_due_grants(batch=10) == 10  # one committed batch ...
        assert expire_due_grants(batch=50) == 16  # ... and the rest in another
        assert expire_due_grants(batch=50) == 0  # nothing ends twice
    ended = {g.pk: g for g in AccessGrant.objects.all()}
    assert {g.state for pk, g in ended.items() if pk != grants[-1].pk} == {"expired"}
    vendor = ended[grants[-1].pk]
    assert vendor.state == "revoked" and vendor.ended_reason == f"{incident.number} is over."
    assert all(g.ended_at == now for g in ended.values())

    tasks = list(FulfilmentTask.objects.filter(purpose="revoke").select_related("assignment_group").order_by("id"))
    assert [t.grant_id for t in tasks] == [g.pk for g in grants]  # one each, numbered in the order they ended
    values = [int(t.number.removeprefix("TASK")) for t in tasks]
    assert values == list(range(values[0], values[0] + len(tasks)))
    assert values[0] == 1 + max(int(t.number.removeprefix("TASK")) for t in FulfilmentTask.objects.filter(
        purpose="fulfil"))  # fmt: skip
    assert all(t.state == "open" and t.active and t.stage == 0 and t.opened_at == now for t in tasks)
    assert {t.assignment_group.name for t in tasks[:-1]} == {"MES Support"}
    assert tasks[-1].assignment_group.name == "OT Engineering"
    assert tasks[0].short_description == f"Remove analyst on BER-LIMS01 for {p.requester.username}"

    entries = AuditEntry.objects.filter(seq__gt=seq_before)
    assert entries.filter(record_type=GRANT_RECORD_TYPE, field="state", old="active").count() == 26
    assert entries.filter(record_type=GRANT_RECORD_TYPE, new="expired", reason="Expired.").count() == 25
    created = entries.filter(record_type=TASK_RECORD_TYPE, action="created")
    assert sorted(created.values_list("record_id", "new")) == [(t.pk, t.number) for t in tasks]
    assert entries.filter(record_type=ITEM_RECORD_TYPE, action="comment", field="journal").count() == 26

    events = DomainEvent.objects.filter(id__gt=events_before)
    granted = {(e.name, e.record_id, e.data["request_item"]) for e in events.filter(record_type=GRANT_RECORD_TYPE)}
    assert granted == {(f"access_grant.{ended[g.pk].state}", g.pk, g.request_item.number) for g in grants}
    assert events.filter(record_type=GRANT_RECORD_TYPE).count() == 26
    task_events = events.filter(name="task.created", record_type=TASK_RECORD_TYPE)
    assert sorted(task_events.values_list("record_id", flat=True)) == [t.pk for t in tasks]
    assert events.count() == 52

    notes = JournalEntry.objects.filter(record_type=ITEM_RECORD_TYPE, body__startswith="Access ").order_by("id")
    assert [n.body for n in notes] == [
        f"Access {g.role} on {g.system.name} {ended[g.pk].state}: {ended[g.pk].ended_reason} {t.number} removes it."
        for g, t in zip(grants, tasks, strict=True)
    ]
    assert {(n.visibility, n.kind, n.record_id) for n in notes[:25]} == {("public", "note", item.pk)}
    assert audit.verify_chain().ok
