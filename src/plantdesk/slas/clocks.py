"""SLA clocks: started, paused, resumed, stopped and canceled as a record changes; warnings and breaches
fired by the worker at their instants.

`sync_clocks` runs inside every incident action's transaction, after the incident is saved, so clocks
always agree with the record. A clock stores the working time elapsed up to the start of its running
segment; the due date and the next event (the next warning threshold, then the breach) are instants
computed from the schedule's calendar, so the worker only has to look for `next_event_at <= now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.incidents.choices import State
from plantdesk.slas.calendar import Calendar, from_us, to_us
from plantdesk.slas.definitions import active_definitions, matches, schedule_for
from plantdesk.slas.definitions import definition as cached_definition
from plantdesk.slas.definitions import schedule as cached_schedule
from plantdesk.slas.models import SLAClock, SLADefinition
from plantdesk.slas.schedules import calendar_for

OPEN = {State.NEW, State.IN_PROGRESS, State.ON_HOLD}
DONE = {State.RESOLVED, State.CLOSED}
BREACH = 100


def sync_clocks(
    incident: Any, *, actor: User, responded: bool = False, now: datetime | None = None, created: bool = False
) -> None:
    """Bring the incident's clocks in line with it: start what now applies, cancel what no longer does,
    pause on hold, resume, and stop a target once met (response: an agent assigned or answered)."""
    now = (now or timezone.now()).replace(microsecond=0)  # clocks keep whole seconds (API shows them so)
    definitions = active_definitions("incident")
    if created:  # nothing to look up: a new record has no clocks yet
        for definition in definitions if incident.state in OPEN else []:
            if matches(definition, incident):
                _start(definition, incident, actor, now, responded)
        return
    clocks = {c.definition_id: c for c in SLAClock.objects.filter(record_type="incident", record_id=incident.pk)
              .exclude(stage=SLAClock.CANCELED)}  # fmt: skip
    for clock in clocks.values():
        clock.definition, clock.schedule = cached_definition(clock.definition_id), cached_schedule(clock.schedule_id)
    applicable = [d for d in definitions if matches(d, incident)] if incident.state in OPEN else []
    applicable_ids = {d.pk for d in applicable}
    for clock in clocks.values():
        if incident.state in OPEN and clock.definition_id not in applicable_ids and clock.stage != SLAClock.STOPPED:
            _cancel(clock, incident, actor, now)  # e.g. the priority changed: another definition applies now
            continue
        _apply_state(clock, incident, actor, now, responded)
    for definition in applicable:
        if definition.pk not in clocks:
            _start(definition, incident, actor, now, responded)


def _apply_state(clock: SLAClock, incident: Any, actor: User, now: datetime, responded: bool) -> None:
    if incident.state == State.CANCELED:
        return _cancel(clock, incident, actor, now) if clock.stage != SLAClock.STOPPED else None
    met = incident.state in DONE or (
        clock.definition.target == "response" and _responded(clock.definition, incident, responded)
    )
    if clock.stage == SLAClock.STOPPED:
        if not met and incident.state in OPEN and clock.definition.target == "resolution":
            _resume(clock, now)  # reopened: the resolution clock runs on
            _log(clock, incident, actor, "sla_resumed", "reopened")
        return None
    if met:
        _stop(clock, now)
        _log(clock, incident, actor, "sla_stopped", clock.state)
    elif _paused_by(clock.definition, incident) and clock.stage == SLAClock.RUNNING:
        _pause(clock, now)
        _log(clock, incident, actor, "sla_paused", incident.hold_reason)
    elif not _paused_by(clock.definition, incident) and clock.stage == SLAClock.PAUSED:
        _resume(clock, now)
        _log(clock, incident, actor, "sla_resumed", "")
    return None


def _responded(definition: SLADefinition, incident: Any, commented: bool) -> bool:
    """An agent's public comment just now (`commented`) or an assignee, as the definition counts them."""
    by = definition.response_met_by
    return ("public_comment" in by and commented) or ("assignment" in by and incident.assignee_id is not None)


def _paused_by(definition: SLADefinition, incident: Any) -> bool:
    reasons = definition.pause_hold_reasons
    return bool(incident.state == State.ON_HOLD and (not reasons or incident.hold_reason in reasons))


# -- one clock ----------------------------------------------------------------------------------


def _calendar(clock: SLAClock) -> Calendar:
    return calendar_for(clock.schedule)


def _start(definition: SLADefinition, incident: Any, actor: User, now: datetime, responded: bool) -> None:
    if definition.target == "response" and _responded(definition, incident, responded):
        return  # answered in the same breath it was raised: nothing to time
    schedule = schedule_for(definition, incident)
    clock = SLAClock(
        record_type="incident", record_id=incident.pk, definition=definition, schedule=schedule, started_at=now,
        duration_us=definition.duration // timedelta(microseconds=1), segment_start=now,
    )  # fmt: skip
    if _paused_by(definition, incident):
        clock.stage, clock.segment_start, clock.paused_at = SLAClock.PAUSED, None, now
    else:
        plan_next(clock, _calendar(clock))
    clock.save()
    _log(clock, incident, actor, "sla_started", f"due {clock.due_at.isoformat() if clock.due_at else 'when resumed'}")


def elapsed_us(clock: SLAClock, now: datetime, calendar: Calendar | None = None) -> int:
    """Working time on the clock at `now` (what a report or the percent shows)."""
    if clock.stage != SLAClock.RUNNING or clock.segment_start is None:
        return int(clock.elapsed_us)
    cal = calendar or _calendar(clock)
    return int(clock.elapsed_us) + cal.elapsed_us(to_us(clock.segment_start), to_us(now))


def plan_next(clock: SLAClock, calendar: Calendar) -> None:
    """Due date and next event of a running clock, from its segment start and the thresholds not yet fired."""
    assert clock.segment_start is not None
    clock.due_at, clock.next_event_at = _plan(
        calendar, clock.segment_start, clock.duration_us, clock.elapsed_us, clock.definition.warnings,
        clock.warnings_fired, clock.breached_at,
    )  # fmt: skip


def _plan(
    calendar: Calendar,
    segment_start: datetime,
    duration_us: int,
    elapsed: int,
    warnings: list[int],
    fired: int,
    breached_at: datetime | None,
) -> tuple[datetime, datetime | None]:
    """(due date, next event) of a running clock; a clock past its due date keeps the instant it was
    breached at (else its segment start) as its due date."""
    start = to_us(segment_start)
    remaining = duration_us - elapsed
    due = from_us(calendar.due_us(start, remaining)) if remaining > 0 else breached_at or segment_start
    thresholds = [*warnings, BREACH]
    if fired >= len(thresholds):
        return due, None
    needed = duration_us * thresholds[fired] // 100 - elapsed
    return due, from_us(calendar.due_us(start, needed)) if needed > 0 else segment_start


def _pause(clock: SLAClock, now: datetime) -> None:
    clock.elapsed_us = elapsed_us(clock, now)
    clock.stage, clock.segment_start, clock.paused_at = SLAClock.PAUSED, None, now
    clock.due_at = clock.next_event_at = None
    clock.save()


def _resume(clock: SLAClock, now: datetime) -> None:
    if clock.paused_at is not None:
        clock.paused_wall_us += to_us(now) - to_us(clock.paused_at)
    clock.stage, clock.segment_start, clock.paused_at, clock.stopped_at = SLAClock.RUNNING, now, None, None
    plan_next(clock, _calendar(clock))
    clock.save()


def _stop(clock: SLAClock, now: datetime) -> None:
    if clock.stage == SLAClock.RUNNING:
        clock.elapsed_us = elapsed_us(clock, now)
        if clock.breached_at is None and clock.elapsed_us >= clock.duration_us:
            clock.breached_at = clock.due_at  # past due before the worker got to it: breached all the same
    clock.stage, clock.segment_start, clock.stopped_at = SLAClock.STOPPED, None, now
    clock.next_event_at = None
    clock.save()


def _cancel(clock: SLAClock, incident: Any, actor: User, now: datetime) -> None:
    clock.elapsed_us = elapsed_us(clock, now)
    clock.stage, clock.segment_start, clock.stopped_at, clock.next_event_at = SLAClock.CANCELED, None, now, None
    clock.save()
    _log(clock, incident, actor, "sla_canceled", "no longer applies")


def _log(clock: SLAClock, incident: Any, actor: User, action: str, detail: str) -> None:
    audit.record(
        actor=actor, record_type="incident", record_id=incident.pk, record_label=incident.audit_label,
        action=action, field=f"sla:{clock.definition.name}", new=detail,
    )  # fmt: skip


# -- what the API and the UI show -----------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    definition: str
    kind: str
    target: str
    state: str
    stage: str  # running | paused | stopped | canceled: whether time is still being counted
    due: datetime | None
    elapsed_percent: float
    remaining_us: int


def clocks_of(record_type: str, record_ids: list[int], now: datetime | None = None) -> dict[int, list[ClockView]]:
    """The clocks of many records in one query (list endpoints), evaluated at `now`."""
    now = now or timezone.now()
    views: dict[int, list[ClockView]] = {pk: [] for pk in record_ids}
    rows = list(SLAClock.objects.filter(record_type=record_type, record_id__in=record_ids))
    for clock in rows:  # definitions and schedules from the per-process cache, not a join per query
        clock.definition, clock.schedule = cached_definition(clock.definition_id), cached_schedule(clock.schedule_id)
    for clock in sorted(rows, key=lambda c: (c.definition.target, c.definition.name, c.pk)):
        views[clock.record_id].append(view_of(clock, now))
    return views


def view_of(clock: SLAClock, now: datetime) -> ClockView:
    done = elapsed_us(clock, now)
    return ClockView(
        definition=clock.definition.name, kind=clock.definition.kind, target=clock.definition.target,
        state=clock.state, stage=clock.stage, due=clock.due_at,
        elapsed_percent=round(100 * done / clock.duration_us, 1), remaining_us=clock.duration_us - done,
    )  # fmt: skip


def lock_due(now: datetime, batch: int) -> list[SLAClock]:
    """Running clocks with an event due, locked for this worker (others skip them on PostgreSQL)."""
    qs = SLAClock.objects.filter(stage=SLAClock.RUNNING, next_event_at__lte=now).order_by("next_event_at")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    assert transaction.get_connection().in_atomic_block
    return list(qs.select_related("definition", "schedule")[:batch])


def recompute_for_schedule(schedule_id: int, *, chunk: int = 5000) -> int:
    """After a schedule edit: every running clock on it gets its due date and next event again, from the
    working time it had already used (paused and stopped clocks need nothing: they are planned on resume).
    Returns the number of clocks updated.

    Reads only the columns the plan needs (no model instances, definitions' warnings looked up once) in
    one query fetched in chunks (a server-side cursor on PostgreSQL, whose snapshot does not see the rows
    rewritten meanwhile): at 1,000,000 clocks the rows, not the calendar, are what costs."""
    from plantdesk.slas.models import Schedule

    calendar = calendar_for(Schedule.objects.get(pk=schedule_id))
    warnings = dict(SLADefinition.objects.values_list("pk", "warnings"))
    rows = (
        SLAClock.objects.filter(schedule_id=schedule_id, stage=SLAClock.RUNNING)
        .order_by("pk")
        .values_list(
            "pk", "segment_start", "duration_us", "elapsed_us", "definition_id", "warnings_fired", "breached_at"
        )
    )
    done, batch = 0, []
    for pk, segment_start, duration_us, elapsed, definition_id, fired, breached_at in rows.iterator(chunk_size=chunk):
        assert segment_start is not None
        due, next_event = _plan(calendar, segment_start, duration_us, elapsed, warnings[definition_id], fired,
                                breached_at)  # fmt: skip
        batch.append((pk, due, next_event))
        if len(batch) == chunk:
            _save_plans(batch)
            done, batch = done + len(batch), []
    if batch:
        _save_plans(batch)
    return done + len(batch)


def _save_plans(plans: list[tuple[int, datetime, datetime | None]]) -> None:
    """Write (id, due_at, next_event_at) of many clocks: one UPDATE joined to arrays on PostgreSQL (a
    `bulk_update` CASE over thousands of ids costs quadratic time there), `bulk_update` elsewhere."""
    if connection.vendor != "postgresql":
        clocks = [SLAClock(pk=pk, due_at=due, next_event_at=next_event) for pk, due, next_event in plans]
        SLAClock.objects.bulk_update(clocks, ["due_at", "next_event_at"], batch_size=len(clocks))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SLAClock._meta.db_table} AS c SET due_at = v.due_at, next_event_at = v.next_event_at "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS v(id, due_at, next_event_at) "
            "WHERE c.id = v.id",
            [[p[0] for p in plans], [p[1] for p in plans], [p[2] for p in plans]],
        )
