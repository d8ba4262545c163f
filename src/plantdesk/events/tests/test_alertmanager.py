"""POST /integrations/alertmanager: each alert of a version 4 notification kept verbatim as one native event."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from django.test import Client

from plantdesk.accounts.actions import do_create_token, do_create_user
from plantdesk.events import channels
from plantdesk.events.integrations import alertmanager
from plantdesk.events.models import InboxEvent
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db
URL = "/integrations/alertmanager"

FILLER = {
    "status": "firing",
    "labels": {"alertname": "FillerMotorOvertemp", "severity": "critical", "instance": "BER-L3-PLC01:9100",
               "job": "plc_exporter", "line": "BER-L3"},
    "annotations": {"summary": "Filler motor over temperature", "description": "Motor at 96 °C for 5m"},
    "startsAt": "2026-11-24T09:00:00.123456789Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus.ber:9090/graph?g0.expr=motor_temp_celsius+%3E+90",
    "fingerprint": "1a30ba71cca2921f",
}  # fmt: skip
HISTORIAN = {
    "status": "firing",
    "labels": {"alertname": "HistorianLag", "severity": "warning", "ci": "BER-HIST01", "service": "historian",
               "job": "historian_exporter", "source": "prometheus-ber"},
    "annotations": {"description": "Historian writes lag 120 s behind"},
    "startsAt": "2026-11-24T09:05:00Z",
    "endsAt": "0001-01-01T00:00:00Z",
    "generatorURL": "http://prometheus.ber:9090/graph?g0.expr=historian_lag_seconds",
    "fingerprint": "c6eadffa33fcdf37",
}  # fmt: skip


def notification(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "receiver": "plantdesk", "status": status, "alerts": list(alerts),
        "groupLabels": {"alertname": "FillerMotorOvertemp"}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.ber:9093", "version": "4",
        "groupKey": '{}:{alertname="FillerMotorOvertemp"}', "truncatedAlerts": 0,
    }  # fmt: skip


class Sender:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, body: Any, *, raw: str | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(URL, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def prometheus(plant: Plant) -> Sender:
    account = do_create_user("prom-ber", role="requester", actor=plant.admin, is_integration=True)
    return Sender(do_create_token(account, actor=plant.admin))


def test_each_alert_is_kept_as_a_one_alert_notification_and_mapped(prometheus: Sender) -> None:
    response = prometheus.post(notification(FILLER, HISTORIAN))
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == 2 and body["dead_letters"] == []
    assert [i["dedup_key"] for i in body["items"]] == ["alertmanager:1a30ba71cca2921f", "alertmanager:c6eadffa33fcdf37"]
    filler, historian = (InboxEvent.objects.get(pk=i["id"]) for i in body["items"])
    kept = json.loads(filler.payload)
    assert kept["alerts"] == [FILLER] and kept["receiver"] == "plantdesk" and kept["version"] == "4"
    assert filler.sha256 == hashlib.sha256(filler.payload.encode()).hexdigest()
    assert (
        filler.channel == "alertmanager" and filler.status == "accepted" and filler.received_by.username == "prom-ber"
    )
    assert filler.event == {
        "source": "alertmanager", "node": "BER-L3-PLC01", "resource": "plc_exporter", "type": "alert",
        "metric": "FillerMotorOvertemp", "severity": "critical", "message": "Filler motor over temperature",
        "dedup_key": "alertmanager:1a30ba71cca2921f", "event_id": filler.idempotency_key,
        "occurred_at": "2026-11-24T09:00:00.123456+00:00",
        "attributes": {"labels": FILLER["labels"], "annotations": FILLER["annotations"],
                       "generatorURL": FILLER["generatorURL"], "fingerprint": "1a30ba71cca2921f",
                       "externalURL": "http://alertmanager.ber:9093", "receiver": "plantdesk"},
    }  # fmt: skip
    # The ci label names the CI; a service label is the resource before the scrape job; the source label wins.
    assert {k: historian.event[k] for k in ("source", "node", "ci", "resource", "severity", "message")} == {
        "source": "prometheus-ber", "node": "BER-HIST01", "ci": "BER-HIST01", "resource": "historian",
        "severity": "warning", "message": "Historian writes lag 120 s behind",
    }  # fmt: skip
    # What the replay of a dead letter would make of the kept payload is what was made of it on arrival.
    assert channels.normalise("alertmanager", filler.payload) == filler.event


@pytest.mark.parametrize(
    ("label", "severity"),
    [("error", "major"), ("High", "major"), ("major", "major"), ("minor", "minor"), ("warn", "warning"),
     ("none", "info"), ("low", "info"), ("info", "info")],
)  # fmt: skip
def test_severity_labels_map_to_plantdesk_severities(prometheus: Sender, label: str, severity: str) -> None:
    alert = copy.deepcopy(FILLER)
    alert["labels"]["severity"] = label
    item = prometheus.post(notification(alert)).json()["items"][0]
    assert InboxEvent.objects.get(pk=item["id"]).event["severity"] == severity


def test_repeated_notifications_store_nothing_new_and_a_resolution_clears(prometheus: Sender) -> None:
    first = prometheus.post(notification(FILLER)).json()["items"][0]
    # Alertmanager re-sends a firing alert every repeat_interval, with a group change, or from its HA peer;
    # endsAt moves with Prometheus' evaluations meanwhile. None of that is a new occurrence.
    later = FILLER | {"endsAt": "2026-11-24T09:20:00Z"}
    assert prometheus.post(notification(later, HISTORIAN)).json()["items"][0] == first
    assert prometheus.post(notification(FILLER)).json()["items"][0] == first
    assert InboxEvent.objects.filter(dedup_key=first["dedup_key"]).count() == 1

    resolved = FILLER | {"status": "resolved", "endsAt": "2026-11-24T09:30:00Z"}
    cleared = prometheus.post(notification(resolved, status="resolved")).json()["items"][0]
    assert cleared["dedup_key"] == first["dedup_key"] and cleared["id"] != first["id"]
    row = InboxEvent.objects.get(pk=cleared["id"])
    assert row.event["severity"] == "clear" and row.event["occurred_at"] == "2026-11-24T09:30:00+00:00"
    assert prometheus.post(notification(resolved, status="resolved")).json()["items"][0] == cleared

    refired = FILLER | {"startsAt": "2026-11-24T11:00:00Z"}  # the same alert firing again later
    again = prometheus.post(notification(refired)).json()["items"][0]
    assert again["dedup_key"] == first["dedup_key"] and again["id"] not in (first["id"], cleared["id"])
    assert InboxEvent.objects.count() == 4  # filler x3 and the historian alert


def test_an_alert_without_a_known_severity_is_a_dead_letter_and_the_others_are_kept(
    prometheus: Sender, plant: Plant
) -> None:
    unknown = copy.deepcopy(FILLER) | {"fingerprint": "00000000000000aa"}
    unknown["labels"]["severity"] = "apocalyptic"
    missing = copy.deepcopy(HISTORIAN) | {"fingerprint": "00000000000000bb"}
    del missing["labels"]["severity"]
    batch = notification(unknown, FILLER, missing, "not an alert", HISTORIAN | {"startsAt": "yesterday"})
    body = prometheus.post(batch).json()
    assert body["accepted"] == 1 and body["items"][0]["dedup_key"] == "alertmanager:1a30ba71cca2921f"
    assert [(d["index"], d["reason"].split(":")[0]) for d in body["dead_letters"]] == [
        (0, "labels.severity"), (2, "labels.severity"), (3, "alerts[]"), (4, "startsAt"),
    ]  # fmt: skip
    assert "'apocalyptic'" in body["dead_letters"][0]["reason"]
    dead = InboxEvent.objects.get(pk=body["dead_letters"][0]["id"])
    assert dead.status == "dead" and json.loads(dead.payload)["alerts"] == [unknown]
    assert dead.sha256 == hashlib.sha256(dead.payload.encode()).hexdigest()
    with pytest.raises(ValueError, match=r"^labels\.severity: 'apocalyptic'"):
        channels.normalise("alertmanager", dead.payload)
    # Alertmanager retries a notification it could not deliver: the redelivery adds nothing, dead letters included.
    assert prometheus.post(batch).json() == body and InboxEvent.objects.count() == 5


def test_resolved_alerts_need_no_severity_label(prometheus: Sender) -> None:
    alert = copy.deepcopy(FILLER) | {"status": "resolved", "endsAt": "2026-11-24T09:30:00Z"}
    del alert["labels"]["severity"]
    body = prometheus.post(notification(alert, status="resolved")).json()
    assert body["accepted"] == 1 and InboxEvent.objects.get().event["severity"] == "clear"


def test_without_a_fingerprint_the_label_set_is_the_identity(prometheus: Sender) -> None:
    alert = {k: v for k, v in FILLER.items() if k != "fingerprint"}
    same_labels = alert | {"labels": dict(reversed(list(FILLER["labels"].items())))}
    other = alert | {"labels": FILLER["labels"] | {"line": "BER-L4"}}
    keys = [i["dedup_key"] for i in prometheus.post(notification(alert, same_labels, other)).json()["items"]]
    assert keys[0] == keys[1] != keys[2] and keys[0].startswith("alertmanager:labels-")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", "body"),
        ('{"version": "4", "alerts": [{"labels": {"x": NaN}}]}', "body"),
        ("[]", "body"),
        (json.dumps(notification(FILLER) | {"version": "3"}), "version"),
        (json.dumps({k: v for k, v in notification(FILLER).items() if k != "alerts"}), "alerts"),
        (json.dumps(notification()), "alerts"),
        (json.dumps(notification(FILLER) | {"receiver": 7}), "receiver"),
        (json.dumps(notification(FILLER | {"labels": {"line": "BER\u0000L3"}})), "alerts[0].labels.line"),
    ],
)  # fmt: skip
def test_unreadable_notifications_are_refused_naming_the_field(prometheus: Sender, raw: str, field: str) -> None:
    response = prometheus.post(None, raw=raw)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["field"] == field and response.json()["detail"].startswith(field)
    assert not InboxEvent.objects.exists()


def test_wrong_senders_and_oversized_notifications_are_refused(prometheus: Sender, plant: Plant) -> None:
    anonymous = Sender(None).post(notification(FILLER))
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.json()["errors"][0]["field"] == "Authorization"
    assert Sender("pd_not-a-token").post(notification(FILLER)).status_code == 401
    person = Sender(do_create_token(plant.admin, actor=plant.admin)).post(notification(FILLER))
    assert person.status_code == 403  # even an administrator: notifications come from an integration account
    many = [FILLER | {"fingerprint": f"{n:016x}", "annotations": {"summary": "x" * 2000}} for n in range(300)]
    too_big = prometheus.post(notification(*many))  # about 700 KB
    assert too_big.status_code == 413 and too_big.json()["errors"][0]["field"] == "body"
    assert prometheus.client.get(URL, headers=prometheus.headers).status_code == 405
    assert not InboxEvent.objects.exists()


def test_the_trailing_slash_is_optional(prometheus: Sender) -> None:
    response = prometheus.client.post(
        URL + "/", json.dumps(notification(FILLER)), content_type="application/json", headers=prometheus.headers
    )
    assert response.status_code == 202 and response.json()["accepted"] == 1


def test_the_instance_label_gives_its_host_as_node() -> None:
    hosts = [alertmanager._host(i) for i in ("plc01:9100", "[fe80::1]:9100", "https://mes.ber.example/health",
                                             "fe80::1", "BER-HIST01")]  # fmt: skip
    assert hosts == ["plc01", "fe80::1", "mes.ber.example", "fe80::1", "BER-HIST01"]
