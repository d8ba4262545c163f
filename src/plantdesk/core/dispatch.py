"""The outbox dispatcher: `plantdesk worker` hands each pending delivery to its consumer after the commit.

Order per record across any number of workers: a record's events all fall into one of the fixed outbox
partitions, and a worker dispatches only the partitions it has leased. A round leases free partitions that
have work (claimed with FOR UPDATE SKIP LOCKED, least recently served first, a few at a time so that
several workers share them), hands their due deliveries to the consumers in id order, and releases them.

Progress commits with what the consumer wrote: an isolated consumer's event in a transaction of its own,
a run of a batched consumer's events in one. Every such transaction first renews the lease of its
partitions (the fence): a worker that lost its lease (it stalled past it and another took over) writes
nothing. A worker killed mid-round loses only its uncommitted work, which the next owner replays once the
lease has run out: at least once, never out of order.

A failing delivery is retried with exponential backoff; until it succeeds (or is given up, after
OUTBOX_MAX_ATTEMPTS) the later events of the same record wait for it, for that consumer only.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from plantdesk.core.domain_events import Consumer, Event, consumers
from plantdesk.core.models import DomainEvent, EventDelivery, OutboxPartition

log = logging.getLogger("plantdesk.outbox")

PARTITIONS_PER_ROUND = 8
ERROR_LENGTH = 2000


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseLost(Exception):
    """Another worker owns one of this round's partitions now: stop, write nothing more."""


@dataclass
class Round:
    worker: str
    partitions: list[int]
    consumers: dict[str, Consumer]
    blocked: set[tuple[str, str]] = field(default_factory=set)  # (consumer, stream) waiting for a retry
    handled: int = 0

    def fence(self, partition: int | None = None) -> None:
        """Inside a transaction: renew the lease of `partition` (else of all this round's), or refuse to write
        if it was lost. The renewed row stays locked until the commit: no takeover in between."""
        partitions = self.partitions if partition is None else [partition]
        renewed = OutboxPartition.objects.filter(pk__in=partitions, owner=self.worker).update(
            lease_until=timezone.now() + _lease_length()
        )
        if renewed != len(partitions):
            raise LeaseLost(f"{self.worker} lost an outbox partition lease")


def dispatch(worker: str, *, limit: int | None = None) -> int:
    """One round; returns how many deliveries it handled (delivered, or failed and rescheduled)."""
    partitions = _lease(worker)
    if not partitions:
        return 0
    current = Round(worker, partitions, consumers())
    try:
        rows = _due(partitions, limit or settings.OUTBOX_BATCH)
        for isolated, run in _runs(rows, current.consumers):
            if isolated:
                for row in run:
                    _deliver_isolated(current, row)
            else:
                _deliver_batched(current, run)
    except LeaseLost:
        log.warning("outbox: %s lost its lease mid-round; its uncommitted work goes to the new owner", worker)
    finally:
        OutboxPartition.objects.filter(pk__in=partitions, owner=worker).update(owner="", lease_until=None)
    return current.handled


def dispatch_all(worker: str | None = None, *, rounds: int = 10_000) -> int:
    """Rounds until nothing is due (tests, `plantdesk outbox dispatch`); returns the deliveries handled."""
    worker = worker or worker_id()
    total = 0
    for _ in range(rounds):
        handled = dispatch(worker)
        if not handled:
            break
        total += handled
    return total


def _lease_length() -> timedelta:
    return timedelta(seconds=float(settings.OUTBOX_LEASE_SECONDS))


def _lease(worker: str) -> list[int]:
    """Lease up to PARTITIONS_PER_ROUND free partitions that have a due delivery."""
    now = timezone.now()
    due = EventDelivery.objects.filter(partition=OuterRef("pk"), state=EventDelivery.PENDING, available_at__lte=now)
    with transaction.atomic():
        free = (
            OutboxPartition.objects.select_for_update(skip_locked=True)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(owner=worker))
            .filter(Exists(due))
            .order_by(F("claimed_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[:PARTITIONS_PER_ROUND]
        )
        partitions = list(free)
        if partitions:
            OutboxPartition.objects.filter(pk__in=partitions).update(
                owner=worker, lease_until=now + _lease_length(), claimed_at=now
            )
    return partitions


def _due(partitions: list[int], limit: int) -> list[EventDelivery]:
    """The partitions' pending deliveries in order, but none of a stream whose earlier delivery waits for
    its retry (for that consumer): they follow it, they never overtake it."""
    now = timezone.now()
    waiting = EventDelivery.objects.filter(  # only a delivery that failed before waits for a later time
        state=EventDelivery.PENDING, attempts__gt=0, consumer=OuterRef("consumer"), stream=OuterRef("stream"),
        id__lte=OuterRef("id"), available_at__gt=now,
    )  # fmt: skip
    rows = (
        EventDelivery.objects.filter(partition__in=partitions, state=EventDelivery.PENDING)
        .exclude(Exists(waiting))
        .select_related("event")
        .order_by("id")
    )
    return list(rows[:limit])


def _runs(rows: list[EventDelivery], known: dict[str, Consumer]) -> Iterator[tuple[bool, list[EventDelivery]]]:
    """Consecutive deliveries grouped by how they commit: a batched consumer's run shares one transaction."""

    def isolated(row: EventDelivery) -> bool:
        consumer = known.get(row.consumer)
        return consumer is None or consumer.isolated

    for mode, run in groupby(rows, key=isolated):
        yield mode, list(run)


def _deliver_isolated(current: Round, row: EventDelivery) -> None:
    key = (row.consumer, row.stream)
    if key in current.blocked:
        return
    consumer = current.consumers.get(row.consumer)
    try:
        with transaction.atomic():
            current.fence(row.partition)
            if consumer is None:
                raise LookupError(f"no consumer named {row.consumer!r} is registered in this worker")
            consumer.handle(Event.of(row.event))
            _mark_done([row.pk])
    except LeaseLost:
        raise
    except Exception as exc:  # the consumer's fault: its writes rolled back; retried later, in order
        current.blocked.add(key)
        with transaction.atomic():
            current.fence(row.partition)
            _reschedule(row, consumer, exc)
    current.handled += 1


def _deliver_batched(current: Round, run: list[EventDelivery]) -> None:
    """The run in one transaction; if a consumer fails, the run again, each event in a savepoint, so that
    only the failing stream waits."""
    run = [row for row in run if (row.consumer, row.stream) not in current.blocked]
    try:
        with transaction.atomic():
            current.fence()
            for row in run:
                current.consumers[row.consumer].handle(Event.of(row.event))
            _mark_done([row.pk for row in run])
        current.handled += len(run)
        return
    except LeaseLost:
        raise
    except Exception:
        log.info("outbox: a batched delivery failed; retrying the run one event at a time")
    with transaction.atomic():
        current.fence()
        delivered = []
        for row in run:
            key = (row.consumer, row.stream)
            if key in current.blocked:
                continue
            consumer = current.consumers[row.consumer]
            try:
                with transaction.atomic():
                    consumer.handle(Event.of(row.event))
                delivered.append(row.pk)
            except Exception as exc:
                current.blocked.add(key)
                _reschedule(row, consumer, exc)
            current.handled += 1
        _mark_done(delivered)


def _mark_done(ids: Sequence[int]) -> None:
    if ids:
        EventDelivery.objects.filter(pk__in=ids).update(
            state=EventDelivery.DONE, done_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds after the 1st, 2nd, 3rd failure, at most OUTBOX_MAX_BACKOFF_SECONDS."""
    return timedelta(seconds=min(2 ** min(attempts, 30), settings.OUTBOX_MAX_BACKOFF_SECONDS))


def _reschedule(row: EventDelivery, consumer: Consumer | None, exc: Exception) -> None:
    attempts = row.attempts + 1
    limit = (consumer.max_attempts if consumer else None) or settings.OUTBOX_MAX_ATTEMPTS
    error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
    if consumer is None or attempts >= limit:
        log.error("outbox: %s gave up on event %s after %s attempts: %s", row.consumer, row.event_id, attempts, error)
        EventDelivery.objects.filter(pk=row.pk).update(state=EventDelivery.FAILED, attempts=attempts, last_error=error)
        return
    log.warning("outbox: %s failed on event %s (attempt %s), retried later: %s", row.consumer, row.event_id,
                attempts, error)  # fmt: skip
    EventDelivery.objects.filter(pk=row.pk).update(
        attempts=attempts, last_error=error, available_at=timezone.now() + backoff(attempts)
    )


# -- operations -----------------------------------------------------------------------------------


def retry_failed(consumer: str | None = None) -> int:
    """Requeue given-up deliveries (after fixing what made them fail); returns how many."""
    failed = EventDelivery.objects.filter(state=EventDelivery.FAILED)
    if consumer:
        failed = failed.filter(consumer=consumer)
    return failed.update(state=EventDelivery.PENDING, attempts=0, available_at=timezone.now())


def purge(now: datetime | None = None, *, days: int | None = None, chunk: int = 5000) -> int:
    """Delete events older than the retention whose deliveries are all done (their deliveries go with them);
    an event with a pending or failed delivery stays. Returns the number of events deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_RETENTION_DAYS if days is None else days)
    open_deliveries = EventDelivery.objects.filter(event=OuterRef("pk")).exclude(state=EventDelivery.DONE)
    deleted = 0
    while True:
        ids = list(
            DomainEvent.objects.filter(occurred_at__lt=cutoff)
            .exclude(Exists(open_deliveries))
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return deleted
        with transaction.atomic():
            EventDelivery.objects.filter(event_id__in=ids).delete()
            DomainEvent.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
