"""Time-boxed access: grants end on time or with the change / incident they serve, and a task removes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from plantdesk.composition.worker import run_round
from plantdesk.core.models import AuditEntry
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.requests.models import AccessGrant, FulfilmentTask, RequestItem
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
