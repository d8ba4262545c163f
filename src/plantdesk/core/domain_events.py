"""Domain events (ARCHITECTURE rule 3): how one app hears about another's changes without importing it.

An action records what happened with `record_event(...)` inside its `audit.action_transaction()`; the events
are written with its audit entries just before the transaction commits, together with one pending delivery
per consumer that subscribed to the event. A rolled-back action leaves neither. `plantdesk worker` hands
each delivery to its consumer after the commit (core.dispatch): at least once, in order per record.

Consumers register in their app's `AppConfig.ready()` (`register_consumer`) or are declared by dotted path
in `PLANTDESK_EVENT_CONSUMERS`. A consumer must be idempotent: after a crash it may see an event again.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from plantdesk.core.action_buffer import PendingEvent, current_buffer
from plantdesk.core.actors import Actor
from plantdesk.core.models import DomainEvent, EventDelivery

PARTITIONS = 32  # fixed: a record's partition must never change while its deliveries are pending
LABEL_LENGTH = 64


@dataclass(frozen=True)
class Event:
    """What a consumer receives. `changes`: {field: {"old": text, "new": text}} as in the audit trail."""

    id: int
    name: str
    record_type: str
    record_id: int
    record_label: str
    actor_id: int | None
    actor_username: str
    changes: dict[str, dict[str, str]]
    data: dict[str, Any]
    occurred_at: datetime

    @classmethod
    def of(cls, row: DomainEvent) -> Event:
        return cls(
            id=row.pk, name=row.name, record_type=row.record_type, record_id=row.record_id,
            record_label=row.record_label, actor_id=row.actor_id, actor_username=row.actor_username,
            changes=row.changes, data=row.data, occurred_at=row.occurred_at,
        )  # fmt: skip


@dataclass(frozen=True)
class Consumer:
    """`events`: event names, `"<prefix>.*"` or `"*"`. `isolated`: each event in a transaction of its own,
    committed with the consumer's progress (the default, for consumers that write records through actions);
    `isolated=False` handles a run of events in one transaction (for consumers that only write rows of their
    own or nothing, such as a delivery queue): far fewer commits, and never a lock held on a record."""

    name: str
    events: frozenset[str]
    handle: Callable[[Event], None]
    record_types: frozenset[str] | None = None
    isolated: bool = True
    max_attempts: int | None = None  # None: settings.OUTBOX_MAX_ATTEMPTS

    def wants(self, name: str, record_type: str) -> bool:
        if self.record_types is not None and record_type not in self.record_types:
            return False
        prefix = name.split(".", 1)[0]
        return name in self.events or f"{prefix}.*" in self.events or "*" in self.events


_registered: dict[str, Consumer] = {}


def register_consumer(
    name: str,
    *,
    events: Iterable[str],
    handle: Callable[[Event], None],
    record_types: Iterable[str] | None = None,
    isolated: bool = True,
    max_attempts: int | None = None,
) -> Consumer:
    """Subscribe `handle` to `events` under a stable `name` (the name keys its progress: renaming a consumer
    abandons its pending deliveries). Registering a name again replaces the consumer."""
    consumer = Consumer(
        name=name, events=frozenset(events), handle=handle,
        record_types=frozenset(record_types) if record_types is not None else None,
        isolated=isolated, max_attempts=max_attempts,
    )  # fmt: skip
    _registered[name] = consumer
    _subscribers.cache_clear()
    return consumer


def unregister_consumer(name: str) -> None:
    _registered.pop(name, None)
    _subscribers.cache_clear()


def consumers() -> dict[str, Consumer]:
    """Every consumer: those registered by the apps and those declared in settings.EVENT_CONSUMERS."""
    return {**_registered, **_declared()}


@cache
def _declared() -> dict[str, Consumer]:
    found: dict[str, Consumer] = {}
    for path in settings.EVENT_CONSUMERS:
        consumer = import_string(path.replace(":", "."))
        if not isinstance(consumer, Consumer):
            raise TypeError(f"PLANTDESK_EVENT_CONSUMERS: {path} is not a plantdesk.core.domain_events.Consumer")
        found[consumer.name] = consumer
    return found


@cache
def _subscribers(name: str, record_type: str) -> tuple[str, ...]:
    return tuple(sorted(c.name for c in consumers().values() if c.wants(name, record_type)))


def stream_of(record_type: str, record_id: int) -> str:
    return f"{record_type}:{record_id}"


def partition_of(stream: str) -> int:
    return zlib.crc32(stream.encode()) % PARTITIONS


# -- recording, inside an action --------------------------------------------------------------------


def record_event(
    name: str,
    *,
    record_type: str,
    record: Any,
    actor: Actor,
    changes: Mapping[str, Mapping[str, str]] | None = None,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Record that `name` happened to `record` (anything with a `pk` and an `audit_label`), in the running
    action's transaction. Outside an action it is refused: the event could outlive a rolled-back change."""
    current_buffer("record_event()").events.append(
        PendingEvent(
            name=name,
            record_type=record_type,
            record_id=int(record.pk),
            record_label=str(record.audit_label)[:LABEL_LENGTH],
            actor=actor,
            changes={k: dict(v) for k, v in (changes or {}).items()},
            data=dict(data or {}),
        )
    )


Changes = dict[str, dict[str, str]]


def changes_between(
    before: Mapping[str, str], after: Mapping[str, str], fields: Iterable[str] | None = None
) -> Changes:
    """{field: {"old", "new"}} for the fields whose audit text differs (snapshots from `audit.snapshot`)."""
    names = list(fields) if fields is not None else list(after)
    return {
        n: {"old": before.get(n, ""), "new": after.get(n, "")} for n in names if before.get(n, "") != after.get(n, "")
    }


_EVENT_COLUMNS = ("name", "record_type", "record_id", "record_label", "actor_id", "actor_username", "changes",
                  "data", "occurred_at")  # fmt: skip
_DELIVERY_COLUMNS = ("event_id", "consumer", "stream", "partition", "state", "attempts", "available_at", "last_error")
_ROWS_PER_INSERT = 200  # stays far below SQLite's limit on bound parameters


def flush_events(pending: list[PendingEvent], now: datetime) -> None:
    """Write the action's events and their deliveries (called by the audit flush, inside the transaction).
    Plain SQL, as the audit entries: this runs inside every write, and the ORM's bulk_create cost more than
    the database's work (bench/outbox.py, the flush timings)."""
    if not pending:
        return
    if not connection.features.can_return_rows_from_bulk_insert:
        _flush_with_orm(pending, now)
        return
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    events = [
        (p.name, p.record_type, p.record_id, p.record_label, p.actor.pk, p.actor.username,
         ops.adapt_json_value(p.changes, None), ops.adapt_json_value(p.data, None), at)
        for p in pending
    ]  # fmt: skip
    ids = _insert(DomainEvent._meta.db_table, _EVENT_COLUMNS, events, returning=True)
    deliveries: list[tuple[Any, ...]] = []
    for p, event_id in zip(pending, ids, strict=True):
        subscribers = _subscribers(p.name, p.record_type)
        if not subscribers:
            continue
        stream = stream_of(p.record_type, p.record_id)
        partition = partition_of(stream)
        deliveries.extend((event_id, c, stream, partition, EventDelivery.PENDING, 0, at, "") for c in subscribers)
    if deliveries:
        _insert(EventDelivery._meta.db_table, _DELIVERY_COLUMNS, deliveries, returning=False)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], *, returning: bool) -> list[int]:
    """Multi-row INSERTs; the new ids in the order of `rows` if `returning` (as bulk_create relies on)."""
    ids: list[int] = []
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one_row] * len(chunk))}"  # noqa: S608
            cursor.execute(sql + (" RETURNING id" if returning else ""), [v for row in chunk for v in row])
            if returning:
                ids.extend(int(row[0]) for row in cursor.fetchall())
    return ids


def _flush_with_orm(pending: list[PendingEvent], now: datetime) -> None:
    """The same rows through the ORM, for a database that cannot return the ids of a multi-row INSERT."""
    rows = [
        DomainEvent(
            name=p.name, record_type=p.record_type, record_id=p.record_id, record_label=p.record_label,
            actor_id=p.actor.pk, actor_username=p.actor.username, changes=p.changes, data=p.data, occurred_at=now,
        )
        for p in pending
    ]  # fmt: skip
    DomainEvent.objects.bulk_create(rows, batch_size=_ROWS_PER_INSERT)
    deliveries: list[EventDelivery] = []
    for row in rows:
        stream = stream_of(row.record_type, row.record_id)
        deliveries.extend(
            EventDelivery(event_id=row.pk, consumer=c, stream=stream, partition=partition_of(stream), available_at=now)
            for c in _subscribers(row.name, row.record_type)
        )
    EventDelivery.objects.bulk_create(deliveries, batch_size=_ROWS_PER_INSERT)
