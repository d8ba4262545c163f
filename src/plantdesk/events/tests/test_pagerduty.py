"""POST /integrations/pagerduty/v2/enqueue: PagerDuty's Events API v2, answered as PagerDuty answers, and the
official `pagerduty` client working against it unchanged."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx2
import pagerduty
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from plantdesk.accounts.actions import do_create_token, do_create_user
from plantdesk.events import channels
from plantdesk.events.models import InboxEvent
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db
URL = "/integrations/pagerduty/v2/enqueue"
INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.fixture
def key(plant: Plant) -> str:
    account = do_create_user("scada-ber", role="requester", actor=plant.admin, is_integration=True)
    return do_create_token(account, actor=plant.admin)


def trigger(key: str, **changes: Any) -> dict[str, Any]:
    event = {
        "routing_key": key, "event_action": "trigger", "dedup_key": "ber-l3-filler-overtemp",
        "payload": {"summary": "Filler motor over temperature", "source": "BER-L3-PLC01", "severity": "error",
                    "timestamp": "2026-11-24T10:00:00.000+0100", "component": "Filler", "group": "motor_overtemp",
                    "class": "alarm", "custom_details": {"temperature_c": 96, "limit_c": 90}},
        "client": "WinCC OA", "client_url": "https://scada.ber.example/alarms",
        "links": [{"href": "https://scada.ber.example/l3", "text": "Line 3"}],
    }  # fmt: skip
    event.update(changes)
    return event


def post(body: Any, *, raw: str | None = None, path: str = URL) -> Any:
    return Client().post(path, raw if raw is not None else json.dumps(body), content_type="application/json")


def test_a_trigger_is_kept_and_answered_as_pagerduty_does(key: str) -> None:
    response = post(trigger(key))
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "ber-l3-filler-overtemp"}
    row = InboxEvent.objects.get()
    assert row.channel == "pagerduty" and row.status == "accepted" and row.received_by.username == "scada-ber"
    assert row.sha256 == hashlib.sha256(row.payload.encode()).hexdigest()
    # Kept as sent, except the routing key, a credential: only its public prefix stays.
    assert key not in row.payload and json.dumps(trigger(key[:10] + "[redacted]")) == row.payload
    assert row.event == {
        "source": "BER-L3-PLC01", "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
        "metric": "motor_overtemp", "severity": "major", "message": "Filler motor over temperature",
        "dedup_key": "ber-l3-filler-overtemp", "action": "trigger", "occurred_at": "2026-11-24T10:00:00+01:00",
        "attributes": {"custom_details": {"temperature_c": 96, "limit_c": 90}, "client": "WinCC OA",
                       "client_url": "https://scada.ber.example/alarms",
                       "links": [{"href": "https://scada.ber.example/l3", "text": "Line 3"}]},
    }  # fmt: skip
    assert channels.normalise("pagerduty", row.payload) == row.event


@pytest.mark.parametrize(("given", "severity"), [("critical", "critical"), ("warning", "warning"), ("info", "info")])
def test_severities_map_to_plantdesk_severities(key: str, given: str, severity: str) -> None:
    event = trigger(key)
    event["payload"]["severity"] = given
    assert post(event).status_code == 202 and InboxEvent.objects.get().event["severity"] == severity


def test_a_trigger_without_dedup_key_gets_one_and_its_redelivery_the_same(key: str) -> None:
    event = {k: v for k, v in trigger(key).items() if k != "dedup_key"}
    generated = post(event).json()["dedup_key"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert post(event).json()["dedup_key"] == generated and InboxEvent.objects.count() == 1
    later = event | {"payload": event["payload"] | {"timestamp": "2026-11-24T10:05:00+01:00"}}
    assert post(later).json()["dedup_key"] != generated  # another trigger: another alert, as in PagerDuty
    assert InboxEvent.objects.get(dedup_key=generated).event["dedup_key"] == generated


def test_acknowledge_and_resolve_need_only_the_routing_key_and_dedup_key(key: str) -> None:
    post(trigger(key))
    for action in ("acknowledge", "resolve"):
        response = post({"routing_key": key, "event_action": action, "dedup_key": "ber-l3-filler-overtemp"})
        assert response.status_code == 202 and response.json()["dedup_key"] == "ber-l3-filler-overtemp"
    events = [row.event for row in InboxEvent.objects.order_by("id")]
    assert [e["action"] for e in events] == ["trigger", "acknowledge", "resolve"]
    assert events[2] == {"source": "pagerduty", "action": "resolve", "dedup_key": "ber-l3-filler-overtemp"}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"routing_key": "pd_unknown"}, "routing_key: not the integration key"),
        ({"routing_key": None}, "routing_key: not the integration key"),
        ({"event_action": "escalate"}, "event_action: one of trigger, acknowledge, resolve."),
        ({"payload": None}, "payload: an object"),
        ({"payload": {"source": "BER-L3-PLC01", "severity": "error"}}, "payload.summary: missing or blank."),
        ({"payload": {"summary": "x", "source": "BER-L3-PLC01", "severity": "major"}}, "payload.severity: one of"),
        ({"payload": {"summary": "x", "source": "s" * 101, "severity": "info"}}, "payload.source: text of at most 100"),
        ({"payload": {"summary": "x", "source": "y", "severity": "info", "timestamp": "noon"}}, "payload.timestamp:"),
        ({"dedup_key": "k" * 256}, "dedup_key: text of at most 255"),
        ({"event_action": "resolve", "dedup_key": None}, "dedup_key: missing or blank"),
        ({"links": {"href": "x"}}, "links: an array."),
    ],
)  # fmt: skip
def test_invalid_events_are_answered_as_pagerduty_does_and_store_nothing(
    key: str, change: dict[str, Any], error: str
) -> None:
    response = post(trigger(key, **change))
    assert response.status_code == 400
    body = response.json()
    assert {k: body[k] for k in INVALID} == INVALID and any(e.startswith(error) for e in body["errors"]), body
    assert not InboxEvent.objects.exists()


def test_every_problem_is_listed_and_unreadable_bodies_are_invalid_events(key: str) -> None:
    body = post({"routing_key": "nope", "event_action": "trigger", "payload": {}}).json()
    assert [e.split(":")[0] for e in body["errors"]] == [
        "routing_key", "payload.summary", "payload.source", "payload.severity",
    ]  # fmt: skip
    for raw, field in (("{oops", "body"), ("[1]", "body"), ('{"routing_key": "\\u0000"}', "routing_key")):
        response = post(None, raw=raw)
        assert response.status_code == 400 and response.json()["errors"][0].startswith(field), response.content
    assert not InboxEvent.objects.exists()


def test_a_person_s_token_is_no_routing_key_and_big_bodies_are_refused(key: str, plant: Plant) -> None:
    person = do_create_token(plant.agent, actor=plant.admin)
    assert post(trigger(person)).status_code == 400
    big = trigger(key)
    big["payload"]["custom_details"] = {"log": "x" * (600 * 1024)}
    too_big = post(big)
    assert too_big.status_code == 413 and too_big.json()["status"] == "invalid event"
    assert Client().get(URL).status_code == 405
    assert not InboxEvent.objects.exists()


@pytest.mark.parametrize("path", [URL + "/", "/integrations/pagerduty//v2/enqueue"])
def test_clients_joining_the_base_url_differently_reach_the_endpoint(key: str, path: str) -> None:
    assert post(trigger(key), path=path).status_code == 202


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's real WSGI application, in process. Like Django's test client, it must not close the database
    connection at the end of each request: that connection holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_official_pagerduty_client_works_unchanged(key: str, wsgi_app: WSGIHandler) -> None:
    # The client insists on https; its transport hands the request to the WSGI app instead of the network.
    client = pagerduty.EventsApiV2Client(
        key, base_url="https://testserver/integrations/pagerduty", transport=httpx2.WSGITransport(app=wsgi_app)
    )
    dedup_key = client.trigger(
        "Historian writes lag 120 s behind", "BER-HIST01", severity="warning",
        custom_details={"lag_s": 120}, links=[{"href": "https://historian.ber.example", "text": "Historian"}],
    )  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", dedup_key)
    assert client.acknowledge(dedup_key) == dedup_key
    assert client.resolve(dedup_key) == dedup_key
    rows = list(InboxEvent.objects.order_by("id"))
    assert [(r.event["action"], r.dedup_key) for r in rows] == [(a, dedup_key) for a in ACTIONS]
    assert rows[0].event["severity"] == "warning" and rows[0].event["attributes"]["custom_details"] == {"lag_s": 120}
    with pytest.raises(pagerduty.HttpError) as refused:
        pagerduty.EventsApiV2Client(
            "pd_wrong", base_url="https://testserver/integrations/pagerduty",
            transport=httpx2.WSGITransport(app=wsgi_app),
        ).trigger("x", "y")  # fmt: skip
    assert refused.value.response.status_code == 400


ACTIONS = ("trigger", "acknowledge", "resolve")
