"""Accepting events: check each one's shape, keep every one verbatim (the malformed ones as dead letters
with the reason), idempotently, and commit before the sender is told "accepted"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.events.inbox_insert import Row, insert_once
from plantdesk.events.models import InboxEvent

SEVERITIES = ("critical", "major", "minor", "warning", "info", "clear")
TEXT_FIELDS = {"source": 100, "node": 255, "resource": 255, "type": 100, "metric": 255, "message": 2000,
               "dedup_key": 255, "event_id": 128, "ci": 255}  # fmt: skip
KNOWN = {*TEXT_FIELDS, "severity", "occurred_at", "attributes", "ci", "action"}
# PagerDuty-style actions; a plain event is a trigger, or a resolve when its severity is "clear".
ACTIONS = ("trigger", "acknowledge", "resolve")
MAX_BATCH = 1000


class Unreadable(ValueError):
    """A body that is not a JSON document PlantDesk can keep; the message names the field."""


def _no_constants(name: str) -> Any:
    raise Unreadable(f"body: not valid JSON ({name} is not a JSON number).")


def read_json(body: bytes) -> tuple[str, Any]:
    """The body as UTF-8 text and as a JSON value, for every way events come in over HTTP. NaN and Infinity
    are not JSON (PostgreSQL's jsonb would refuse them later with a 500), nor is absurd nesting."""
    try:
        text = body.decode("utf-8")
        return text, json.loads(text, parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        raise Unreadable(f"body: not UTF-8 text ({exc.reason}).") from exc
    except RecursionError as exc:
        raise Unreadable("body: nested too deeply.") from exc
    except json.JSONDecodeError as exc:
        raise Unreadable(f"body: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}).") from exc


@dataclass(frozen=True)
class Outcome:
    index: int
    id: int | None
    dedup_key: str
    problem: str  # empty when the event is fine


def problem_with(event: Any) -> str:
    """Why `event` cannot become an alert, naming the field; empty if it can."""
    if not isinstance(event, dict):
        return "An event is a JSON object."
    unknown = sorted(set(event) - KNOWN)
    if unknown:
        return f"{unknown[0]}: unknown field."
    for field, limit in TEXT_FIELDS.items():
        value = event.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            return f"{field}: text of at most {limit} characters."
    if not event.get("source"):
        return "source: required."
    if event.get("action", "trigger") not in ACTIONS:
        return f"action: one of {', '.join(ACTIONS)}."
    if event.get("severity") not in SEVERITIES and event.get("action") not in ("acknowledge", "resolve"):
        return f"severity: one of {', '.join(SEVERITIES)}."
    if "occurred_at" in event and not _instant(event["occurred_at"]):
        return "occurred_at: an ISO 8601 time with its offset, between 1970 and 2100."
    if not isinstance(event.get("attributes", {}), dict):
        return "attributes: an object."
    where = unstorable(event, path="")
    if where:
        return f"{where}: contains a NUL character or a lone surrogate, which cannot be stored."
    return ""


def unstorable(value: Any, path: str = "body") -> str:
    """The path of the first string (value or key) in `value` the database cannot store, or ''."""
    if isinstance(value, str):
        return "" if _storable(value) else path
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable(item, f"{path}[{index}]")
            if found:
                return found
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if path in ("body", "") else f"{path}.{key}"
            found = "" if _storable(key) else name
            found = found or unstorable(item, name)
            if found:
                return found
    return ""


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def _instant(value: Any) -> bool:
    """An aware time both engines can store and compute with (year 9999 minus an offset overflows)."""
    try:
        instant = datetime.fromisoformat(value) if isinstance(value, str) else None
        return instant is not None and instant.tzinfo is not None and EARLIEST <= instant < LATEST
    except (ValueError, OverflowError):
        return False


def dedup_key_of(event: dict[str, Any]) -> str:
    """The alert identity: the sender's, else derived from source, node, resource, type and metric."""
    if event.get("dedup_key"):
        return str(event["dedup_key"])
    parts = [str(event.get(k) or "") for k in ("source", "node", "resource", "type", "metric")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class Received:
    """One event as an adapter hands it over: the native event it made, the verbatim payload when that is
    not the event itself (an Alertmanager alert, a Sparkplug message: base64), and why it could not be read
    (then `event` may be anything and the payload is kept as a dead letter, replayable)."""

    event: Any
    raw: str | None = None
    problem: str = ""
    source: str = ""  # the source of a dead letter whose event names none


def accept(events: list[Any], *, channel: str, actor: User) -> list[Outcome]:
    """Keep every native event (idempotently) and return what became of each, after the commit."""
    return accept_received([received_native(event) for event in events], channel=channel, actor=actor)


def with_severity_alias(event: Any) -> Any:
    """The event with the sender's severity word replaced by ours (settings.EVENTS_SEVERITY_ALIASES)."""
    aliases: dict[str, str] = settings.EVENTS_SEVERITY_ALIASES
    if isinstance(event, dict) and isinstance(event.get("severity"), str) and event["severity"] in aliases:
        return {**event, "severity": aliases[event["severity"]]}
    return event


def received_native(event: Any) -> Received:
    """A native event as sent; where a severity alias applies, the raw form is kept beside the mapped one."""
    mapped = with_severity_alias(event)
    if mapped is event:
        return Received(event)
    return Received(mapped, raw=json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


def accept_received(items: list[Received], *, channel: str, actor: User) -> list[Outcome]:
    """Keep every item (idempotently, dead letters included) and return what became of each, after the commit."""
    now = timezone.now()
    rows: list[Row] = []
    outcomes: list[tuple[int, str]] = []  # index, problem
    for index, item in enumerate(items):
        event = item.event
        problem = item.problem or problem_with(event)
        # A dead letter's text may hold what the database cannot store (a lone surrogate): escape it all then.
        native = json.dumps(event, sort_keys=True, ensure_ascii=bool(problem), separators=(",", ":"))
        raw = native if item.raw is None else item.raw
        digest = hashlib.sha256(raw.encode()).hexdigest()
        readable = isinstance(event, dict) and not unstorable(event, path="")
        source = str((event.get("source") if readable else None) or item.source or "?")[:100]
        key = str((event.get("event_id") if readable else None) or digest)
        rows.append(Row(
            channel, source, key, "" if problem else dedup_key_of(event), raw, digest,
            None if item.raw is None or problem else event, now, actor.pk,
            InboxEvent.DEAD if problem else InboxEvent.ACCEPTED, problem,
        ))  # fmt: skip
        outcomes.append((index, problem))
    with transaction.atomic():  # durable before the acknowledgement: it is sent after this commits
        ids = insert_once(rows)  # a redelivery changes nothing and gets the first delivery's id
    return [
        Outcome(index, ids.get((row.source, row.idempotency_key)), row.dedup_key, problem)
        for (index, problem), row in zip(outcomes, rows, strict=True)
    ]


def accepted_summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """The 202 answer of the HTTP channels: what was accepted, and the dead letters with their reasons."""
    good = [o for o in outcomes if not o.problem]
    return {
        "accepted": len(good),
        "items": [{"id": o.id, "dedup_key": o.dedup_key} for o in good],
        "dead_letters": [{"index": o.index, "id": o.id, "reason": o.problem} for o in outcomes if o.problem],
    }
