"""GET /api/v1/alerts (CONTRACT.md section 5), acknowledging, silences, maintenance windows and replaying
dead letters over the API: scoped by site, bad input named by field and changing nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.changes.models import Window
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.core.errors import InvalidInput
from plantdesk.events.actions import do_replay_dead_letters
from plantdesk.events.ingest import accept
from plantdesk.events.models import Alert, InboxEvent, Silence
from plantdesk.events.processor import process_pending
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

BER = {"source": "mes-ber", "node": "BER-L3-PLC01", "type": "alarm", "metric": "motor_overtemp",
       "severity": "critical", "message": "Filler motor over temperature", "event_id": "b1"}  # fmt: skip
SIN = {**BER, "node": "SIN-L1-PLC01", "source": "mes-sin", "event_id": "s1"}
UNBOUND = {**BER, "node": "no-such-box", "metric": "x", "event_id": "u1"}


@pytest.fixture
def mes(plant: Plant) -> User:
    load_demo_cmdb(plant.admin)
    return do_create_user("mes", role="requester", actor=plant.admin, is_integration=True)


@pytest.fixture
def alerts(mes: User) -> None:
    accept([BER, {**BER, "event_id": "b2"}, SIN, UNBOUND], channel="rest", actor=mes)
    process_pending()


def keys(body: dict[str, Any]) -> set[str]:
    return {item["ci"] or "unbound" for item in body["items"]}


def test_alerts_list_as_the_contract_says_scoped_to_the_agents_sites(plant: Plant, alerts: None) -> None:
    body = ApiClient(plant.agent).get("/alerts", state="open").json()
    assert keys(body) == {"BER-L3-PLC01", "unbound"} and body["count"] == 2
    item = next(i for i in body["items"] if i["ci"] == "BER-L3-PLC01")
    assert {"dedup_key", "state", "severity", "count", "first_seen", "last_seen", "ci", "incident"} <= set(item)
    assert (item["count"], item["state"], item["incident"][:3]) == (2, "open", "INC")
    assert keys(ApiClient(plant.admin).get("/alerts").json()) == {"BER-L3-PLC01", "SIN-L1-PLC01", "unbound"}
    assert ApiClient(plant.requester).get("/alerts").json()["items"] == []


def test_alerts_filter_by_ci_name_or_alias_and_unbound(plant: Plant, alerts: None) -> None:
    admin = ApiClient(plant.admin)
    assert keys(admin.get("/alerts", ci="BER-Plant/EdgeNode1/L3PLC01").json()) == {"BER-L3-PLC01"}
    assert keys(admin.get("/alerts", ci="none").json()) == {"unbound"}
    assert admin.get("/alerts", state="closed").json()["items"] == []
    response = admin.get("/alerts", state="gone")
    assert response.status_code in (400, 422) and "state" in response.content.decode()


def test_acknowledging_an_alert_records_who_and_refuses_closed_ones(plant: Plant, alerts: None, mes: User) -> None:
    alert = Alert.objects.get(ci__name="BER-L3-PLC01")
    response = ApiClient(plant.agent).post(f"/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["acknowledged_by"] == plant.agent.username
    sin_alert = Alert.objects.get(ci__name="SIN-L1-PLC01")
    assert ApiClient(plant.agent).post(f"/alerts/{sin_alert.pk}/acknowledge").status_code == 404
    accept([{**BER, "severity": "clear", "event_id": "b3"}], channel="rest", actor=mes)
    process_pending()
    assert ApiClient(plant.admin).post(f"/alerts/{sin_alert.pk}/acknowledge").status_code == 200
    assert ApiClient(plant.agent).post(f"/alerts/{alert.pk}/acknowledge").status_code == 409


def test_silences_need_matchers_an_end_and_a_comment(plant: Plant) -> None:
    agent = ApiClient(plant.ot_agent)
    response = agent.post("/silences", {"matchers": {"colour": "red"}, "comment": ""})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"matchers", "ends_at", "comment"} and not Silence.objects.exists()
    ends = (timezone.now() + timedelta(hours=2)).isoformat()
    elsewhere = agent.post("/silences", {"matchers": {"node": "*"}, "ends_at": ends, "comment": "sensor swap"})
    assert elsewhere.status_code == 400 and "name one of your sites" in elsewhere.json()["detail"]
    matchers = {"node": "BER-L2-*", "site": "ber"}
    created = agent.post("/silences", {"matchers": matchers, "ends_at": ends, "comment": "sensor swap"})
    assert created.status_code == 201, created.content
    assert ApiClient(plant.agent_sin).post(f"/silences/{created.json()['id']}/expire").status_code == 404
    listed = agent.get("/silences").json()["items"]
    assert [s["matchers"] for s in listed] == [matchers] and listed[0]["created_by"] == "otto"
    assert agent.post(f"/silences/{created.json()['id']}/expire").json()["expired_early_at"] is not None
    assert agent.get("/silences").json()["items"] == []
    assert ApiClient(plant.requester).post("/silences", {"matchers": {"node": "x"}}).status_code == 403


def test_a_silenced_alert_opens_no_incident(plant: Plant, mes: User) -> None:
    ends = (timezone.now() + timedelta(hours=1)).isoformat()
    ApiClient(plant.admin).post("/silences", {"matchers": {"metric": "motor_*"}, "ends_at": ends, "comment": "test"})
    accept([BER], channel="rest", actor=mes)
    process_pending()
    alert = Alert.objects.get()
    assert (alert.suppressed, alert.incident_id) == ("silenced", None)


def test_maintenance_windows_take_a_visible_ci(plant: Plant, mes: User) -> None:
    agent = ApiClient(plant.agent)  # Berlin only
    ends = (timezone.now() + timedelta(hours=1)).isoformat()
    refused = agent.post("/maintenance-windows", {"ci": "SIN-L1", "ends_at": ends, "reason": "CIP"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "ci"
    created = agent.post("/maintenance-windows", {"ci": "BER-L3", "ends_at": ends, "reason": "CIP"})
    assert created.status_code == 201, created.content
    window = Window.objects.get()  # the one window model: change enablement's, kind maintenance
    assert (window.kind, [ci.name for ci in window.cis.all()], window.description) == ("maintenance", ["BER-L3"], "CIP")
    body = created.json()
    assert (body["id"], body["ci"], body["reason"], body["created_by"]) == (window.pk, "BER-L3", "CIP", "alice")
    assert abs(datetime.fromisoformat(body["ends_at"]) - window.end) < timedelta(milliseconds=1)  # JSON: ms
    listed = agent.get("/maintenance-windows").json()["items"]
    assert [w["id"] for w in listed] == [window.pk]
    assert ApiClient(plant.agent).get(f"/windows/{window.pk}").json()["kind"] == "maintenance"
    accept([BER], channel="rest", actor=mes)
    process_pending()
    assert Alert.objects.get().suppressed == "maintenance"


def test_a_dead_letter_is_replayed_once_its_severity_is_mapped(plant: Plant, mes: User, settings: Any) -> None:
    accept([{**BER, "severity": "high", "event_id": "d1"}], channel="rest", actor=mes)
    dead = InboxEvent.objects.get()
    agent = ApiClient(plant.agent)
    assert agent.get("/events/dead-letters").json()["items"][0]["reason"].startswith("severity")
    still = agent.post("/events/dead-letters/replay", {"ids": [dead.pk]}).json()
    assert still["replayed"] == [] and still["still_dead"][0]["reason"].startswith("severity")
    settings.EVENTS_SEVERITY_ALIASES = {"high": "major"}  # the administrator maps the sender's word
    replayed = agent.post("/events/dead-letters/replay", {"ids": [dead.pk]}).json()
    assert [r["id"] for r in replayed["replayed"]] == [dead.pk]
    process_pending()
    assert Alert.objects.get().severity == "major"
    assert InboxEvent.objects.get().payload == dead.payload  # the raw payload is never rewritten
    assert agent.post("/events/dead-letters/replay", {"ids": []}).status_code in (400, 422)
    assert ApiClient(plant.requester).post("/events/dead-letters/replay", {"ids": [dead.pk]}).status_code == 403


def test_a_mapped_severity_is_accepted_and_the_raw_word_kept(plant: Plant, mes: User, settings: Any) -> None:
    settings.EVENTS_SEVERITY_ALIASES = {"high": "major"}
    accept([{**BER, "severity": "high"}], channel="rest", actor=mes)
    process_pending()
    row = InboxEvent.objects.get()
    assert row.status == "processed" and '"severity":"high"' in row.payload and row.event["severity"] == "major"
    assert Alert.objects.get().severity == "major"


def test_rules_are_configured_by_administrators_and_take_effect(plant: Plant, mes: User) -> None:
    admin = ApiClient(plant.admin)
    bad = admin.post("/alert-rules", {"position": 0, "name": "", "severities": ["fatal"], "action": "page"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"position", "name", "severities", "action"}
    assert ApiClient(plant.agent).post("/alert-rules", {"position": 1, "name": "x"}).status_code == 403
    created = admin.post("/alert-rules", {"position": 1, "name": "Test rigs", "sources": ["rig-*"],
                                          "action": "record_only"})  # fmt: skip
    assert created.status_code == 201, created.content
    mapped = admin.post("/mapping-rules", {"position": 1, "field": "node", "pattern": "rig-7*", "ci": "BER-L2-PLC01"})
    assert mapped.status_code == 201, mapped.content
    assert admin.post("/mapping-rules", {"position": 1, "field": "colour", "pattern": "", "ci": "nope"}).json()[
        "errors"
    ] == [
        {"field": "field", "message": "One of node, resource, source, metric."},
        {"field": "pattern", "message": "A shell-style pattern of 1 to 255 characters, e.g. ber-line4-*."},
        {"field": "ci", "message": "No CI in service has this name or alias."},
    ]
    accept([{**BER, "source": "rig-7", "node": "rig-7a", "event_id": "r1"}], channel="rest", actor=mes)
    process_pending()
    alert = Alert.objects.get()
    assert (alert.suppressed, alert.incident_id, alert.ci.name if alert.ci else None) == (
        "record_only", None, "BER-L2-PLC01",
    )  # fmt: skip
    assert admin.client.delete(f"/api/v1/alert-rules/{created.json()['id']}", headers=admin.headers).status_code == 204
    assert admin.get("/alert-rules").json() == []


def test_silences_and_windows_are_for_an_occasion_not_for_ever(plant: Plant, mes: User) -> None:
    agent = ApiClient(plant.ot_agent)
    forever = agent.post("/silences", {"matchers": {"site": "ber"}, "ends_at": "9999-12-31T23:59:59-05:00",
                                       "comment": "quiet"})  # fmt: skip
    assert forever.status_code == 400 and forever.json()["errors"][0]["field"] == "ends_at"
    window = agent.post("/maintenance-windows", {"ci": "BER-L3", "starts_at": "2001-01-01T00:00:00+00:00",
                                                 "ends_at": "2001-01-02T00:00:00+00:00", "reason": "CIP"})  # fmt: skip
    assert window.status_code == 400 and window.json()["errors"][0]["field"] == "starts_at"
    assert not Silence.objects.exists() and not Window.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", ["open_incident"]),  # unhashable: a 500 before
        ("action", {"open_incident": True}),
        ("name", ["Test rigs"]),  # str() of the list was stored as the name
        ("severities", {}),  # read as "no severities" before
        ("severities", [["critical"]]),
        ("sources", {"rig-*": 1}),
        ("ci_classes", "plc"),
        ("sites", [{"code": "ber"}]),
        ("position", True),
    ],
)
def test_an_alert_rule_of_the_wrong_shape_is_refused_by_field(plant: Plant, field: str, value: Any) -> None:
    admin = ApiClient(plant.admin)
    body = {"position": 1, "name": "Test rigs", "severities": ["critical"], "action": "record_only", field: value}
    refused = admin.post("/alert-rules", body)
    assert refused.status_code == 400, refused.content
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert admin.get("/alert-rules").json() == []


@pytest.mark.parametrize(
    ("field", "value"), [("field", ["node"]), ("field", {"node": 1}), ("pattern", ["rig-*"]), ("ci", ["BER-L3"])]
)
def test_a_mapping_rule_of_the_wrong_shape_is_refused_by_field(plant: Plant, field: str, value: Any) -> None:
    load_demo_cmdb(plant.admin)
    admin = ApiClient(plant.admin)
    refused = admin.post(
        "/mapping-rules", {"position": 1, "field": "node", "pattern": "rig-*", "ci": "BER-L3", field: value}
    )
    assert refused.status_code == 400, refused.content
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert admin.get("/mapping-rules").json() == []


@pytest.mark.parametrize("ids", [[False], [True], ["1"], [0], [1.5], [2**63]])
def test_dead_letter_ids_are_whole_numbers_not_booleans(plant: Plant, mes: User, ids: list[Any]) -> None:
    accept([{**BER, "severity": "high", "event_id": "d1"}], channel="rest", actor=mes)
    refused = ApiClient(plant.agent).post("/events/dead-letters/replay", {"ids": ids})
    assert refused.status_code == 422, refused.content
    assert refused.json()["errors"][0]["field"] == "ids.0"
    assert InboxEvent.objects.get().status == InboxEvent.DEAD


def test_a_dead_letter_id_written_as_a_whole_float_is_that_id(plant: Plant, mes: User) -> None:
    accept([{**BER, "severity": "high", "event_id": "d1"}], channel="rest", actor=mes)
    dead = InboxEvent.objects.get()
    answer = ApiClient(plant.agent).post("/events/dead-letters/replay", {"ids": [float(dead.pk)]})
    assert answer.status_code == 200 and answer.json()["still_dead"][0]["id"] == dead.pk


def test_the_replay_action_refuses_booleans_itself(plant: Plant) -> None:
    with pytest.raises(InvalidInput):
        do_replay_dead_letters([True], actor=plant.agent)
