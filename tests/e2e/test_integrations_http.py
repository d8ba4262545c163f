"""Alertmanager and PagerDuty senders against a real `plantdesk serve` process, as an operator would set them up:
an integration account from the CLI, its token in the sender's configuration."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import httpx2
import pagerduty
import pytest

from plantdesk.testing.live import LiveServer


def integration(server: LiveServer, name: str) -> str:
    username = f"{name}-{uuid.uuid4().hex[:6]}"
    server.cli("user", "add", username, "--role", "requester", "--integration")
    return server.token_for(username)


def inbox(server: LiveServer, dedup_keys: list[str]) -> list[dict[str, Any]]:
    """The server's inbox rows of these alert identities, read from its database with `plantdesk shell`."""
    code = (
        "import json; from plantdesk.events.models import InboxEvent; "
        f"rows = InboxEvent.objects.filter(dedup_key__in={dedup_keys!r}).order_by('id'); "
        "print(json.dumps([dict(channel=r.channel, status=r.status, payload=r.payload, sha256=r.sha256, "
        "dedup_key=r.dedup_key, event=r.event) for r in rows]))"
    )
    return list(json.loads(server.cli("shell", "-c", code).stdout.strip().splitlines()[-1]))


def alert(fingerprint: str, severity: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "FillerMotorOvertemp", "severity": severity, "instance": "BER-L3-PLC01:9100"},
        "annotations": {"summary": "Filler motor over temperature"},
        "startsAt": "2026-11-24T09:00:00.123456789Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.ber:9090/graph", "fingerprint": fingerprint,
    }  # fmt: skip


def test_alertmanager_notifications_are_kept_once_each_and_bad_alerts_become_dead_letters(server: LiveServer) -> None:
    token = integration(server, "prom")
    good, bad = uuid.uuid4().hex[:16], uuid.uuid4().hex[:16]
    notification = {
        "receiver": "plantdesk", "status": "firing", "alerts": [alert(good, "critical"), alert(bad, "disaster")],
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0,
    }  # fmt: skip
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as am:
        first = am.post("/integrations/alertmanager", json=notification)
        assert first.status_code == 202, first.text
        assert first.json()["accepted"] == 1 and first.json()["items"][0]["dedup_key"] == f"alertmanager:{good}"
        assert first.json()["dead_letters"][0]["reason"].startswith("labels.severity: 'disaster'")
        # Alertmanager's repeat_interval re-sends the same firing alerts: nothing new is stored.
        assert am.post("/integrations/alertmanager", json=notification).json() == first.json()
        too_big = am.post("/integrations/alertmanager", content=b"{" + b" " * (513 * 1024) + b"}")
        assert too_big.status_code == 413

    rows = inbox(server, [f"alertmanager:{good}"])
    assert len(rows) == 1 and rows[0]["channel"] == "alertmanager" and rows[0]["event"]["severity"] == "critical"
    assert json.loads(rows[0]["payload"])["alerts"] == [alert(good, "critical")]
    assert rows[0]["sha256"] == hashlib.sha256(rows[0]["payload"].encode()).hexdigest()
    agent = {"Authorization": f"Bearer {server.token_for('mmueller')}"}
    dead = httpx.get(f"{server.base_url}/api/v1/events/dead-letters", headers=agent, timeout=30).json()["items"]
    mine = [d for d in dead if bad in d["payload"]]
    assert len(mine) == 1 and mine[0]["channel"] == "alertmanager" and mine[0]["reason"].startswith("labels.severity")

    url = f"{server.base_url}/integrations/alertmanager"
    assert httpx.post(url, json=notification, timeout=30).status_code == 401
    assert httpx.post(url, json=notification, headers=agent, timeout=30).status_code == 403


class TlsTerminator(httpx2.HTTPTransport):
    """Stands for the TLS-terminating proxy in front of PlantDesk: the PagerDuty client only speaks https."""

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.url = request.url.copy_with(scheme="http")
        return super().handle_request(request)


def test_the_official_pagerduty_client_triggers_acknowledges_and_resolves(server: LiveServer) -> None:
    key = integration(server, "scada")
    base_url = "https://" + server.base_url.removeprefix("http://") + "/integrations/pagerduty"
    client = pagerduty.EventsApiV2Client(key, base_url=base_url, transport=TlsTerminator())
    dedup_key = f"ber-l3-filler-{uuid.uuid4().hex[:6]}"
    assert client.trigger("Filler motor over temperature", "BER-L3-PLC01", dedup_key=dedup_key) == dedup_key
    assert client.acknowledge(dedup_key) == dedup_key and client.resolve(dedup_key) == dedup_key
    generated = client.trigger("Historian lag 120 s", "BER-HIST01", severity="warning")
    rows = inbox(server, [dedup_key, generated])
    assert [(r["event"]["action"], r["dedup_key"]) for r in rows] == [
        ("trigger", dedup_key), ("acknowledge", dedup_key), ("resolve", dedup_key), ("trigger", generated),
    ]  # fmt: skip
    assert all(key not in r["payload"] and r["channel"] == "pagerduty" for r in rows)

    with pytest.raises(pagerduty.HttpError):
        pagerduty.EventsApiV2Client("pd_wrong", base_url=base_url, transport=TlsTerminator()).trigger("x", "y")
    refused = httpx.post(
        f"{server.base_url}/integrations/pagerduty/v2/enqueue", timeout=30,
        json={"routing_key": key, "event_action": "trigger", "payload": {"summary": "x", "source": "y"}},
    )  # fmt: skip
    assert refused.status_code == 400
    assert refused.json() == {"status": "invalid event", "message": "Event object is invalid",
                              "errors": ["payload.severity: one of critical, error, warning, info."]}  # fmt: skip
