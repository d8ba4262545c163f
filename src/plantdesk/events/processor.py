"""The processor (ARCHITECTURE "Event flow"): accepted inbox events, in batches and in arrival order, become
alerts, and new, reopened and cleared alerts go on to noise control and the incident rules.

A batch is one transaction: its events are marked processed in the same commit that counts them, so a
crash of the worker replays the batch from the inbox and nothing is lost or counted twice. The common
case (a repeat of an open alert) is written with one statement per batch, not one per event.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.utils import timezone

from plantdesk.core import audit
from plantdesk.events import effects
from plantdesk.events.bulk import bulk_set, where_in
from plantdesk.events.dedup import Incoming, Tracked, apply, reopen_window
from plantdesk.events.models import Alert, InboxEvent

BATCH = 2000
# Failures that say nothing about an event: the database unreachable, or a schema behind the code.
SYSTEMIC = (OperationalError, InterfaceError, ProgrammingError)
SYSTEMIC_AFTER = 3  # this many events failing alone, and none passing, is not a poison event but a fault
log = logging.getLogger("plantdesk.events")
REPEAT_COLUMNS = ("count", "last_seen", "last_event_id", "last_occurred_at", "message", "updated_at")
# What dedup reads and writes: open alerts load only these (most of a batch is repeats; the rest of an
# alert's fields load on demand for the few that open or close).
DEDUP_FIELDS = (
    "id", "dedup_key", "state", "severity", "severity_changes", "reopen_count", "opened_at", "closed_at",
    "acknowledged_at", "acknowledged_by", "state_changes", "flapping", "first_event_id", *REPEAT_COLUMNS,
)  # fmt: skip


def process_pending(limit: int = BATCH) -> int:
    """Process up to `limit` accepted events; returns how many (a full batch means more may be waiting).

    A batch that fails for any reason but the database being unreachable is taken again one event at a
    time, and an event that fails on its own becomes a dead letter with the error: one poison event must
    not hold up the queue (it stays replayable once the cause is fixed).
    """
    try:
        return _process(limit)
    except SYSTEMIC:
        raise  # the database or the schema itself: nothing to learn from one event at a time; the worker retries
    except Exception:
        log.exception("event batch failed; processing its events one by one")
    done, failed = 0, []
    for pk in _accepted_ids(limit):
        try:
            done += _process(1, only=pk)
        except SYSTEMIC:
            raise
        except Exception as exc:
            log.exception("inbox event %s cannot be processed", pk)
            failed.append((pk, f"processing failed: {type(exc).__name__}: {exc}"[:2000]))
    if not done and len(failed) >= SYSTEMIC_AFTER:
        raise RuntimeError(f"{len(failed)} events in a row failed: not one bad event; keeping them accepted")
    for pk, reason in failed:  # kept as dead letters: visible, and replayable once the cause is fixed
        InboxEvent.objects.filter(pk=pk, status=InboxEvent.ACCEPTED).update(status=InboxEvent.DEAD, reason=reason)
    return done + len(failed)


def _accepted_ids(limit: int) -> list[int]:
    return list(
        InboxEvent.objects.filter(status=InboxEvent.ACCEPTED).order_by("id").values_list("id", flat=True)[:limit]
    )


def _process(limit: int, only: int | None = None) -> int:
    with audit.action_transaction():
        rows = _claim(limit, only)
        if not rows:
            return 0
        incoming, unreadable = _parse(rows)
        by_key: dict[str, list[Incoming]] = defaultdict(list)
        for item in incoming:
            by_key[item.event["_dedup_key"]].append(item)
        tracked = _load(by_key)
        dropped: dict[str, list[int]] = defaultdict(list)
        for key, items in by_key.items():
            for item in items:
                why = apply(tracked[key], item)
                if why:
                    dropped[why].append(item.inbox_id)
        changed = [t for t in tracked.values() if not t.only_repeats]
        effects.bind_new(changed, by_key)  # before the insert: CI, site and area go in with the row
        _write(tracked.values())
        effects.follow_up(changed)
        _mark_processed(rows, dropped, unreadable)
    return len(rows)


Claimed = tuple[int, str, str, Any, datetime]  # id, dedup key, payload, the adapter's event, received at


def _claim(limit: int, only: int | None = None) -> list[Claimed]:
    queue = InboxEvent.objects.filter(status=InboxEvent.ACCEPTED).order_by("id")
    if only is not None:
        queue = queue.filter(pk=only)
    if connection.features.has_select_for_update_skip_locked:
        queue = queue.select_for_update(skip_locked=True)  # a second processor takes the next batch
    return list(queue.values_list("id", "dedup_key", "payload", "event", "received_at")[:limit])


def _parse(rows: list[Claimed]) -> tuple[list[Incoming], dict[str, list[int]]]:
    incoming: list[Incoming] = []
    unreadable: dict[str, list[int]] = defaultdict(list)
    for pk, dedup_key, payload, adapted, received_at in rows:
        try:
            event = adapted if adapted is not None else json.loads(payload)
        except ValueError as exc:  # accepted rows were checked; this is a payload altered since
            unreadable[f"unreadable: {exc}"].append(pk)
            continue
        event["_dedup_key"] = dedup_key
        incoming.append(Incoming(pk, received_at, event))
    return incoming, unreadable


def _load(by_key: dict[str, list[Incoming]]) -> dict[str, Tracked]:
    """Each key's open alert (locked), else its newest alert closed within the reopen window."""
    keys = list(by_key)
    found: dict[str, Alert] = {}
    where, params = where_in("dedup_key", keys)
    open_alerts = Alert.objects.filter(state=Alert.OPEN).extra(where=[where], params=params)  # noqa: S610 (values are parameters)
    open_alerts = open_alerts.only(*DEDUP_FIELDS)
    if connection.features.has_select_for_update:
        open_alerts = open_alerts.select_for_update()
    found.update((a.dedup_key, a) for a in open_alerts)
    rest = [k for k in keys if k not in found]
    if rest:
        since = min(items[0].received_at for k, items in by_key.items() if k not in found) - reopen_window()
        for alert in Alert.objects.filter(dedup_key__in=rest, state=Alert.CLOSED, closed_at__gte=since).order_by("id"):
            found[alert.dedup_key] = alert  # ascending ids: the newest wins
    return {key: Tracked(found.get(key)) for key in keys}


def _write(tracked: Iterable[Tracked]) -> None:
    new: list[Alert] = []
    repeats: list[Alert] = []
    changed: list[Alert] = []
    for t in tracked:
        for episode in [*t.earlier, t]:
            if episode.alert is None:
                continue
            if episode.is_new:
                new.append(episode.alert)
            elif episode.only_repeats:
                repeats.append(episode.alert)
            else:
                changed.append(episode.alert)
    for alert in changed:  # closes, reopens, escalations: few, and first, so a new episode's key is free
        alert.save()
    if new:
        Alert.objects.bulk_create(new)
    bulk_set(repeats, REPEAT_COLUMNS)


def _mark_processed(rows: list[Claimed], dropped: dict[str, list[int]], unreadable: dict[str, list[int]]) -> None:
    now = timezone.now()
    where, params = where_in("id", [r[0] for r in rows])
    claimed = InboxEvent.objects.extra(where=[where], params=params)  # noqa: S610 (values are parameters)
    claimed.update(status=InboxEvent.PROCESSED, processed_at=now)
    for reason, ids in dropped.items():
        InboxEvent.objects.filter(pk__in=ids).update(reason=reason)
        log.info("%d event(s) changed nothing: %s", len(ids), reason)
    for reason, ids in unreadable.items():
        InboxEvent.objects.filter(pk__in=ids).update(status=InboxEvent.DEAD, reason=reason, processed_at=None)
