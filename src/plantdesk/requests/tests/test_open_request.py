"""Alert rules with the action open_request: a toner-low alarm orders consumables instead of opening an
incident, one request per alert however often it repeats, through the worker's job list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.composition.worker import run_round
from plantdesk.events.ingest import accept
from plantdesk.events.models import Alert
from plantdesk.incidents.models import Incident
from plantdesk.requests.catalog import do_create_catalog_item
from plantdesk.requests.models import RequestItem, ServiceRequest
from plantdesk.requests.tests.conftest import Catalog, assert_error

pytestmark = pytest.mark.django_db

CONSUMABLES = {
    "name": "label-printer-consumables", "category": "access", "title": "Label printer consumables",
    "questions": [
        {"name": "printer", "label": "Printer", "type": "ci", "required": True},
        {"name": "details", "label": "What is needed", "type": "textarea"},
    ],
    "tasks": [{"stage": 1, "short_description": "Bring toner and labels", "assignment_group": "OT Engineering"}],
}  # fmt: skip
TONER = {"source": "printer-mon", "node": "BER-HIST01", "type": "status", "metric": "toner_low",
         "severity": "warning", "message": "Toner below 10 %"}  # fmt: skip


@pytest.fixture
def rule(catalog: Catalog) -> dict[str, Any]:
    do_create_catalog_item(CONSUMABLES, actor=catalog.plant.admin)
    response = catalog.api(catalog.plant.admin).post("/alert-rules", {
        "position": 1, "name": "Toner low orders consumables", "severities": ["warning"], "sources": ["printer-*"],
        "action": "open_request", "catalog_item": "label-printer-consumables",
    })  # fmt: skip
    assert response.status_code == 201, response.content
    return dict(response.json())


def send(catalog: Catalog, *events: dict[str, Any]) -> None:
    """Accept the events as the printer monitor's integration account, then run one worker round."""
    mon = User.objects.filter(username="printer-mon").first() or do_create_user(
        "printer-mon", role="requester", actor=catalog.plant.admin, is_integration=True
    )
    accept([{**e, "event_id": uuid.uuid4().hex} for e in events], channel="rest", actor=mon)
    run_round("test", stopping=lambda: False)


def test_an_alert_opens_one_request_however_often_it_repeats(catalog: Catalog, rule: dict[str, Any]) -> None:
    assert rule["action"] == "open_request" and rule["catalog_item"] == "label-printer-consumables"
    send(catalog, TONER, TONER, TONER)
    alert = Alert.objects.get()
    assert alert.count == 3 and Incident.objects.count() == 0
    request = ServiceRequest.objects.get()
    item = RequestItem.objects.get()
    assert request.source == "event" and request.site is not None and request.site.code == "ber"
    assert item.answers["printer"] == "BER-HIST01" and "toner_low" in item.answers["details"]
    assert item.state == "in_fulfilment" and item.ci is not None and item.ci.name == "BER-HIST01"
    shown = catalog.api(catalog.plant.agent).get(f"/alerts/{alert.pk}").json()
    assert (shown["request"], shown["request_item"], shown["incident"]) == (request.number, item.number, None)
    assert request.short_description == "Toner below 10 % on BER-HIST01"
    # cleared, then low again while the request is worked: the same request
    send(catalog, {**TONER, "severity": "clear", "message": "Toner ok"})
    send(catalog, TONER)
    assert ServiceRequest.objects.count() == 1
    assert Alert.objects.get().request_item == item
    # an agent's site sees it in the task work list
    tasks = catalog.api(catalog.plant.ot_agent).get("/tasks", mine="true").json()["items"]
    assert [t["request_item"] for t in tasks] == [item.number]


def test_other_alerts_still_open_incidents(catalog: Catalog, rule: dict[str, Any]) -> None:
    send(catalog, {**TONER, "source": "mes-ber", "metric": "motor_overtemp", "severity": "critical"})
    assert Incident.objects.count() == 1 and ServiceRequest.objects.count() == 0


def test_bad_open_request_rules_are_refused(catalog: Catalog) -> None:
    admin = catalog.api(catalog.plant.admin)
    base = {"position": 1, "name": "x", "action": "open_request"}
    assert_error(admin.post("/alert-rules", base), 400, "catalog_item")
    assert_error(admin.post("/alert-rules", {**base, "catalog_item": "nope"}), 400, "catalog_item")
    assert_error(admin.post("/alert-rules", {**base, "catalog_item": "lims-role-access"}), 400, "catalog_item")
    assert_error(admin.post("/alert-rules", {**base, "action": "open_incident", "catalog_item": "hmi-account"}), 400,
                 "catalog_item")  # fmt: skip
    assert admin.get("/alert-rules").json() == []
