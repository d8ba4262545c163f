"""POST /api/v1/events: durable, idempotent, raw payload kept; malformed events become dead letters."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from plantdesk.accounts.actions import do_create_user
from plantdesk.events.models import InboxEvent
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

ALARM = {"source": "mes-ber", "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
         "metric": "motor_overtemp", "severity": "critical", "message": "Filler motor over temperature",
         "occurred_at": "2026-11-24T10:00:00+01:00", "attributes": {}}  # fmt: skip


@pytest.fixture
def mes(plant: Plant) -> ApiClient:
    account = do_create_user("mes-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)
    return ApiClient(account)


def post(client: ApiClient, body: Any) -> Any:
    return client.client.post(
        "/api/v1/events", json.dumps(body), content_type="application/json", headers=client.headers
    )


def test_one_event_is_kept_verbatim_and_acknowledged(mes: ApiClient) -> None:
    response = post(mes, ALARM)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == 1 and body["dead_letters"] == []
    row = InboxEvent.objects.get(pk=body["items"][0]["id"])
    assert json.loads(row.payload) == ALARM
    assert row.sha256 == hashlib.sha256(row.payload.encode()).hexdigest()
    assert row.status == "accepted" and row.channel == "rest" and row.dedup_key == body["items"][0]["dedup_key"]


def test_a_redelivery_is_recognised_and_keys_follow_the_alert_identity(mes: ApiClient) -> None:
    first = post(mes, ALARM).json()["items"][0]
    again = post(mes, ALARM).json()["items"][0]
    assert again == first and InboxEvent.objects.count() == 1  # same payload: the same inbox row
    repeat = post(mes, ALARM | {"occurred_at": "2026-11-24T10:05:00+01:00"}).json()["items"][0]
    assert repeat["id"] != first["id"] and repeat["dedup_key"] == first["dedup_key"]  # a repeat of the alarm
    by_id = post(mes, ALARM | {"event_id": "evt-1"}).json()["items"][0]
    assert post(mes, ALARM | {"event_id": "evt-1", "message": "resent"}).json()["items"][0]["id"] == by_id["id"]


def test_a_batch_keeps_the_good_and_dead_letters_the_bad(mes: ApiClient, plant: Plant) -> None:
    batch = [ALARM, ALARM | {"severity": "apocalyptic"}, "not an event", ALARM | {"metric": "door_open"}]
    body = post(mes, batch).json()
    assert body["accepted"] == 2
    assert [(d["index"], d["reason"].split(":")[0]) for d in body["dead_letters"]] == [
        (1, "severity"),
        (2, "An event is a JSON object."),
    ]
    listed = ApiClient(plant.agent).get("/events/dead-letters").json()["items"]
    assert {d["reason"] for d in listed} == {"severity: one of critical, major, minor, warning, info, clear.",
                                             "An event is a JSON object."}  # fmt: skip
    assert all(d["payload"] and len(d["sha256"]) == 64 for d in listed)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [("{not json", 400, "body"), ("[]", 400, "body"), (json.dumps([ALARM] * 1001), 400, "body")],
)
def test_unreadable_requests_are_refused_and_change_nothing(mes: ApiClient, body: str, status: int, field: str) -> None:
    response = mes.client.post("/api/v1/events", body, content_type="application/json", headers=mes.headers)
    assert response.status_code == status and response.json()["errors"][0]["field"] == field
    assert not InboxEvent.objects.exists()


def test_oversized_bodies_and_wrong_senders_are_refused(mes: ApiClient, plant: Plant) -> None:
    big = json.dumps([ALARM | {"message": "x" * 1900}] * 300)  # about 600 KB
    assert (
        mes.client.post("/api/v1/events", big, content_type="application/json", headers=mes.headers).status_code == 413
    )
    assert post(ApiClient(plant.agent), ALARM).status_code == 403  # a person, not an integration
    assert post(ApiClient(None), ALARM).status_code == 401
    assert ApiClient(plant.requester).get("/events/dead-letters").status_code == 403
    assert not InboxEvent.objects.exists()


def test_text_the_database_cannot_store_is_a_dead_letter_and_the_batch_goes_on(mes: ApiClient) -> None:
    body = '[{"source": "mes-ber", "severity": "major", "message": "bad \\ud800 text"},' \
           ' {"source": "mes-ber", "severity": "major", "attributes": {"note": "nul \\u0000"}},' \
           ' {"source": "mes-ber", "severity": "major", "message": "fine"}]'  # fmt: skip
    response = mes.client.post("/api/v1/events", body, content_type="application/json", headers=mes.headers)
    assert response.status_code == 202, response.content
    reasons = [d["reason"] for d in response.json()["dead_letters"]]
    assert reasons[0].startswith("message: contains") and reasons[1].startswith("attributes.note: contains")
    assert response.json()["accepted"] == 1
    assert "\\ud800" in InboxEvent.objects.get(pk=response.json()["dead_letters"][0]["id"]).payload


@pytest.mark.parametrize("body", ['{"source": "x", "severity": "info", "attributes": {"v": NaN}}', "[" * 100_000])
def test_json_extensions_and_absurd_nesting_are_refused_with_400(mes: ApiClient, body: str) -> None:
    response = mes.client.post("/api/v1/events", body, content_type="application/json", headers=mes.headers)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "body"
    assert not InboxEvent.objects.exists()
