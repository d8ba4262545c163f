"""Deduplication: what a key's events, in order, do to its alert (DOMAIN.md section 7).

Pure bookkeeping on Alert objects in memory, so the processor can apply a whole batch and then write it in a
few statements. A repeat raises `count`; a clear closes; a trigger within the reopen window reopens, a later
one starts a new alert; an acknowledge or resolve for a key with no open alert is dropped (and said why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from plantdesk.events.models import Alert

OPENED, REOPENED, CLOSED, ESCALATED, ACKNOWLEDGED = "opened", "reopened", "closed", "severity", "acknowledged"
RANK = {"info": 0, "warning": 1, "minor": 2, "major": 3, "critical": 4}


@dataclass
class Incoming:
    inbox_id: int
    received_at: datetime
    event: dict[str, Any]


@dataclass
class Tracked:
    """An alert and what this batch did to it; `alert` is the newest, `closed_before` an earlier episode
    closed in this same batch (a key can clear and start afresh within one batch after the reopen window)."""

    alert: Alert | None
    is_new: bool = False
    changes: list[str] = field(default_factory=list)
    earlier: list[Tracked] = field(default_factory=list)
    # The message of the event behind each OPENED / REOPENED in `changes`, in order: by the time the batch
    # follows up, the alert's own message is that of its latest event, perhaps a clear ("level normal").
    raised: list[str] = field(default_factory=list)

    @property
    def only_repeats(self) -> bool:
        return not self.is_new and not self.changes


def reopen_window() -> timedelta:
    return timedelta(seconds=settings.EVENTS_REOPEN_SECONDS)


def apply(tracked: Tracked, incoming: Incoming) -> str:
    """Apply one event; returns why it changed nothing (empty when it did)."""
    event, now = incoming.event, incoming.received_at
    if (event.get("attributes") or {}).get("historical") is True:
        return "historical: recorded, never a live alert"
    action = event.get("action") or "trigger"
    if action == "trigger" and event.get("severity") == "clear":
        action = "resolve"  # a "trigger" of severity clear is a clear, whatever the sender called it
    alert = tracked.alert
    is_open = alert is not None and alert.state == Alert.OPEN
    if action == "acknowledge":
        if not is_open or alert is None:
            return "acknowledge for a key with no open alert: dropped"
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            tracked.changes.append(ACKNOWLEDGED)
        _touch(alert, incoming)
        return ""
    if action == "resolve":
        if not is_open or alert is None:
            return "clear for a key with no open alert: dropped"
        alert.state, alert.closed_at = Alert.CLOSED, now
        _touch(alert, incoming)
        _state_changed(alert, now)
        tracked.changes.append(CLOSED)
        return ""
    if alert is not None and is_open:
        alert.count += 1
        if event["severity"] != alert.severity:
            alert.severity = event["severity"]
            alert.severity_changes += 1
            tracked.changes.append(ESCALATED)
        _touch(alert, incoming)
        return ""
    if alert is not None and alert.closed_at is not None and now - alert.closed_at <= reopen_window():
        alert.state, alert.closed_at, alert.opened_at = Alert.OPEN, None, now
        alert.count += 1
        alert.reopen_count += 1
        if event["severity"] != alert.severity:
            alert.severity = event["severity"]
            alert.severity_changes += 1
        alert.acknowledged_at, alert.acknowledged_by = None, None
        _touch(alert, incoming)
        _state_changed(alert, now)
        tracked.changes.append(REOPENED)
        tracked.raised.append(str(event.get("message") or ""))
        return ""
    if alert is not None:  # an episode that ended long ago (or in this batch): keep it, start a new one
        tracked.earlier.append(Tracked(alert, tracked.is_new, tracked.changes, raised=tracked.raised))
    tracked.alert, tracked.is_new, tracked.changes = _new_alert(incoming), True, [OPENED]
    tracked.raised = [tracked.alert.message]
    return ""


def _new_alert(incoming: Incoming) -> Alert:
    event, now = incoming.event, incoming.received_at
    return Alert(
        dedup_key=event["_dedup_key"],
        source=str(event.get("source", ""))[:100],
        node=str(event.get("node") or "")[:255],
        resource=str(event.get("resource") or "")[:255],
        type=str(event.get("type") or "")[:100],
        metric=str(event.get("metric") or "")[:255],
        message=str(event.get("message") or ""),
        severity=event["severity"],
        count=1,
        first_seen=now,
        last_seen=now,
        opened_at=now,
        last_occurred_at=_occurred(event),
        first_event_id=incoming.inbox_id,
        last_event_id=incoming.inbox_id,
        state_changes=[now.isoformat()],
        updated_at=now,
    )


def _touch(alert: Alert, incoming: Incoming) -> None:
    event = incoming.event
    alert.last_seen = max(alert.last_seen, incoming.received_at)
    alert.last_event_id = max(alert.last_event_id, incoming.inbox_id)
    alert.last_occurred_at = _occurred(event) or alert.last_occurred_at
    if event.get("message"):
        alert.message = str(event["message"])
    alert.updated_at = incoming.received_at


def _state_changed(alert: Alert, now: datetime) -> None:
    """Keep the open/close times within the flapping interval and decide whether the alert flaps."""
    interval = timedelta(seconds=settings.EVENTS_FLAP_SECONDS)
    recent = [t for t in alert.state_changes if now - datetime.fromisoformat(t) <= interval]
    alert.state_changes = [*recent, now.isoformat()]
    alert.flapping = len(alert.state_changes) >= settings.EVENTS_FLAP_CHANGES


def _occurred(event: dict[str, Any]) -> datetime | None:
    value = event.get("occurred_at")
    return parse_datetime(value) if isinstance(value, str) else None
