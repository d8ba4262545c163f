"""Accepting events: check each one's shape, keep every one verbatim (the malformed ones as dead letters
with the reason), idempotently, and commit before the sender is told "accepted"."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.events.models import InboxEvent

SEVERITIES = ("critical", "major", "minor", "warning", "info", "clear")
TEXT_FIELDS = {"source": 100, "node": 255, "resource": 255, "type": 100, "metric": 255, "message": 2000,
               "dedup_key": 255, "event_id": 128}  # fmt: skip
KNOWN = {*TEXT_FIELDS, "severity", "occurred_at", "attributes", "ci"}
MAX_BATCH = 1000


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
    if event.get("severity") not in SEVERITIES:
        return f"severity: one of {', '.join(SEVERITIES)}."
    if "occurred_at" in event and not _instant(event["occurred_at"]):
        return "occurred_at: an ISO 8601 time with its offset."
    if not isinstance(event.get("attributes", {}), dict):
        return "attributes: an object."
    return ""


def _instant(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def dedup_key_of(event: dict[str, Any]) -> str:
    """The alert identity: the sender's, else derived from source, node, resource, type and metric."""
    if event.get("dedup_key"):
        return str(event["dedup_key"])
    parts = [str(event.get(k) or "") for k in ("source", "node", "resource", "type", "metric")]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def accept(events: list[Any], *, channel: str, actor: User) -> list[Outcome]:
    """Keep every event (idempotently) and return what became of each, after the commit."""
    now = timezone.now()
    rows: list[InboxEvent] = []
    outcomes: list[tuple[int, str, str, str]] = []  # index, source, key, problem
    for index, event in enumerate(events):
        raw = json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(raw.encode()).hexdigest()
        problem = problem_with(event)
        source = str(event.get("source") or "?")[:100] if isinstance(event, dict) else "?"
        key = str(event.get("event_id") or digest) if isinstance(event, dict) else digest
        dedup = dedup_key_of(event) if not problem else ""
        rows.append(InboxEvent(
            channel=channel, source=source, idempotency_key=key, dedup_key=dedup, payload=raw, sha256=digest,
            received_at=now, received_by=actor, status=InboxEvent.DEAD if problem else InboxEvent.ACCEPTED,
            reason=problem,
        ))  # fmt: skip
        outcomes.append((index, source, key, problem))
    with transaction.atomic():  # durable before the 202: the response is sent after this commits
        InboxEvent.objects.bulk_create(rows, ignore_conflicts=True)  # a redelivery changes nothing
    ids = _ids_of({(source, key) for _, source, key, _ in outcomes})
    return [
        Outcome(index, ids.get((source, key)), row.dedup_key, problem)
        for (index, source, key, problem), row in zip(outcomes, rows, strict=True)
    ]


def _ids_of(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for source in {s for s, _ in keys}:
        wanted = [k for s, k in keys if s == source]
        rows = InboxEvent.objects.filter(source=source, idempotency_key__in=wanted)
        found.update({(source, key): pk for key, pk in rows.values_list("idempotency_key", "pk")})
    return found
