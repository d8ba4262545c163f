"""The worker's SLA step: fire the warnings and breaches that are due, in their order. A breach is noted on
its record and recorded as an `sla.breached` domain event in the same transaction; its breach actions
(notify the group, raise the priority, reassign) are the record app's consumer of that event, delivered by
the outbox after the commit: never lost, never run twice, and the SLA engine needs no record app."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.utils import timezone

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.domain_events import record_event
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import JournalKind, Visibility
from plantdesk.slas.clocks import BREACH, lock_due, plan_next
from plantdesk.slas.measured import measured
from plantdesk.slas.models import SLAClock
from plantdesk.slas.schedules import calendar_for

BATCH = 500
SLA_BREACHED = "sla.breached"
SLA_WARNING = "sla.warning"
logger = logging.getLogger(__name__)


def fire_due_events(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """One round: every clock event due by `now` (up to `batch`), each written to its record's journal and
    audit trail, breaches also as domain events. Returns the number fired; the worker calls again at once
    while a round is full."""
    now = now or timezone.now()
    actor = get_system_user()
    with audit.action_transaction():
        clocks = lock_due(now, batch)
        records = _records_of(clocks)
        for clock in clocks:
            record = records.get((clock.record_type, clock.record_id))
            if record is not None:
                _fire(clock, record, actor)
    return len(clocks)


def _records_of(clocks: list[SLAClock]) -> dict[tuple[str, int], Any]:
    ids: dict[str, set[int]] = defaultdict(set)
    for clock in clocks:
        ids[clock.record_type].add(clock.record_id)
    found: dict[tuple[str, int], Any] = {}
    for record_type, pks in ids.items():
        for pk, record in measured(record_type).model._default_manager.in_bulk(pks).items():
            found[(record_type, pk)] = record
    return found


def _fire(clock: SLAClock, record: Any, actor: User) -> None:
    thresholds = [*clock.definition.warnings, BREACH]
    threshold = thresholds[clock.warnings_fired]
    name, due = clock.definition.name, clock.due_at.isoformat(timespec="seconds") if clock.due_at else "?"
    facts = {"clock": clock.pk, "definition": name, "target": clock.definition.target, "due": due}
    if threshold == BREACH:
        clock.breached_at = clock.next_event_at
        text = f"SLA breached: {name} ({clock.definition.target}) was due {due}."
        facts["breach_actions"] = clock.definition.breach_actions
        record_event(SLA_BREACHED, record_type=clock.record_type, record=record, actor=actor, data=facts)
    else:
        text = f"SLA warning: {name} ({clock.definition.target}) at {threshold} %, due {due}."
        record_event(SLA_WARNING, record_type=clock.record_type, record=record, actor=actor,
                     data={**facts, "percent": threshold})  # fmt: skip
    add_journal_entry(
        record_type=clock.record_type,
        record=record,
        body=text,
        visibility=Visibility.INTERNAL,
        actor=actor,
        kind=JournalKind.SYSTEM,
    )
    clock.warnings_fired += 1
    plan_next(clock, calendar_for(clock.schedule))
    clock.save(update_fields=["warnings_fired", "breached_at", "due_at", "next_event_at"])
