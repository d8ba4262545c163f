"""What to configure in a sender, written out for one integration account: the URLs as this server is reached
(from the request, so they are right behind a proxy that sets the Host) and the key, or a placeholder once the
key has been shown."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from plantdesk.accounts.models import User
from plantdesk.events.mqtt.native import PREFIX as NATIVE_PREFIX

KEY_PLACEHOLDER = "<key>"


@dataclass(frozen=True)
class Setup:
    base: str
    rest_url: str
    curl: str
    alertmanager_url: str
    alertmanager_yaml: str
    pagerduty_base: str
    pagerduty_enqueue: str
    pagerduty_example: str
    mqtt_url: str
    mqtt_native_topic: str
    mqtt_sparkplug_topic: str
    mqtt_command: str


def setup_for(request: HttpRequest, account: User, key: str = "") -> Setup:
    base = request.build_absolute_uri("/").rstrip("/")
    key = key or KEY_PLACEHOLDER
    source = account.username
    rest_url = f"{base}/api/v1/events"
    sample = {"source": source, "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
              "metric": "motor_overtemp", "severity": "critical", "message": "Filler motor overtemp"}  # fmt: skip
    curl = (
        f"curl -X POST {rest_url} \\\n"
        f'  -H "Authorization: Bearer {key}" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{json.dumps(sample)}'"
    )
    alertmanager_url = f"{base}/integrations/alertmanager"
    alertmanager_yaml = (
        "receivers:\n"
        "  - name: plantdesk\n"
        "    webhook_configs:\n"
        f"      - url: {alertmanager_url}\n"
        "        send_resolved: true\n"
        "        http_config:\n"
        "          authorization:\n"
        "            type: Bearer\n"
        f"            credentials: {key}\n"
    )
    pagerduty_base = f"{base}/integrations/pagerduty"
    pd_event = {"routing_key": key, "event_action": "trigger", "dedup_key": "ber-l3-filler-overtemp",
                "payload": {"summary": "Filler motor over temperature", "source": "BER-L3-PLC01",
                            "severity": "critical"}}  # fmt: skip
    pagerduty_example = (
        f"curl -X POST {pagerduty_base}/v2/enqueue \\\n"
        '  -H "Content-Type: application/json" \\\n'
        f"  -d '{json.dumps(pd_event)}'"
    )
    return Setup(
        base=base, rest_url=rest_url, curl=curl, alertmanager_url=alertmanager_url,
        alertmanager_yaml=alertmanager_yaml, pagerduty_base=pagerduty_base,
        pagerduty_enqueue=f"{pagerduty_base}/v2/enqueue", pagerduty_example=pagerduty_example,
        mqtt_url=settings.MQTT_URL, mqtt_native_topic=f"{NATIVE_PREFIX}{source}/<line>/<machine>",
        mqtt_sparkplug_topic="spBv1.0/<group>/<NBIRTH|NDATA|NDEATH|DBIRTH|DDATA|DDEATH>/<edge node>[/<device>]",
        mqtt_command=f"plantdesk ingest mqtt --account {source}",
    )  # fmt: skip
