"""Native JSON events over MQTT: one event or a list of events a message, on `plantdesk/events/<source>/...`.

The source of an event that names none is the topic's third level. A message that is not JSON is kept as a
dead letter in an envelope (topic and the bytes, base64) because it need not be text."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from plantdesk.events.channels import native
from plantdesk.events.ingest import MAX_BATCH, Received

PREFIX = "plantdesk/events/"
CHANNEL = "mqtt"


def source_of(topic: str) -> str:
    """`plantdesk/events/<source>/...` -> <source>; empty when the topic names none."""
    if not topic.startswith(PREFIX):
        return ""
    return topic[len(PREFIX) :].split("/", 1)[0]


def translate(topic: str, data: bytes) -> list[Received]:
    source = source_of(topic)
    try:
        body = json.loads(data)
    except ValueError as exc:  # UnicodeDecodeError is a ValueError
        return [
            Received(None, raw=envelope(topic, data), problem=f"body: not valid JSON: {exc}.", source=source or CHANNEL)
        ]
    events = body if isinstance(body, list) else [body]
    if len(events) > MAX_BATCH:
        problem = f"body: at most {MAX_BATCH} events a message."
        return [Received(None, raw=envelope(topic, data), problem=problem, source=source or CHANNEL)]
    return [Received(_with_source(event, source), source=source or CHANNEL) for event in events]


def _with_source(event: Any, source: str) -> Any:
    if isinstance(event, dict) and not event.get("source") and source:
        return {**event, "source": source}
    return event


def envelope(topic: str, data: bytes) -> str:
    return json.dumps(
        {"topic": topic, "payload_b64": base64.b64encode(data).decode()}, sort_keys=True, separators=(",", ":")
    )


def renormalise(stored: str) -> dict[str, Any]:
    """Replay: a kept native event (the usual case) or the envelope of a message that was not readable."""
    try:
        body = json.loads(stored)
    except ValueError as exc:
        raise ValueError(f"body: not valid JSON: {exc}.") from exc
    if not (isinstance(body, dict) and set(body) == {"topic", "payload_b64"}):
        return native(stored)  # an envelope's keys are not event fields, so the two never mix
    try:
        data = base64.b64decode(body["payload_b64"], validate=True)
    except (binascii.Error, TypeError) as exc:
        raise ValueError("payload_b64: not base64.") from exc
    items = translate(str(body["topic"]), data)
    if len(items) != 1 or items[0].problem:
        raise ValueError(items[0].problem if len(items) == 1 else "body: a list of events replays one by one.")
    return native(json.dumps(items[0].event))
