"""SLA clocks: started, paused, resumed, stopped and canceled as a record changes; warnings and breaches
fired by the worker at their instants.

`sync_clocks` runs inside every action's transaction on a measured record (slas.measured), after the
record is saved, so clocks always agree with the record. A clock stores the working time elapsed up to the
start of its running segment; the due date and the next event (the next warning threshold, then the breach)
are instants computed from the schedule's calendar, so the worker only has to look for `next_event_at <= now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.slas.calendar import Calendar, from_us, to_us
from plantdesk.slas.definitions import active_definitions, applicable, schedule_for
from plantdesk.slas.definitions import definition as cached_definition
from plantdesk.slas.definitions import schedule as cached_schedule
from plantdesk.slas.measured import MeasuredType, measured
from plantdesk.slas.models import Schedule, SLAClock, SLADefinition
from plantdesk.slas.schedules import calendar_for

BREACH = 100


def sync_clocks(
    record: Any,
    *,
    record_type: str,
    actor: User,
    responded: bool = False,
    now: datetime | None = None,
    created: bool = False,
) -> None:
    """Bring the record's clocks in line with it: start what now applies, cancel what no longer does,
    pause on hold, resume, and stop a target once met (response: an agent assigned or answered)."""
    kind = measured(record_type)
    now = (now or timezone.now()).replace(microsecond=0)  # clocks keep whole seconds (API shows them so)
    definitions = active_definitions(record_type)
    is_open = record.state in kind.open_states
    if created:  # nothing to look up: a new record has no clocks yet
        for definition in applicable(definitions, record) if is_open else []:
            _start(definition, kind, record, actor, now, responded)
        return
    # Locked (the caller holds the record): the worker must not fire on a clock this action rewrites.
    rows = SLAClock.objects.filter(record_type=record_type, record_id=record.pk).exclude(stage=SLAClock.CANCELED)
    clocks = {c.definition_id: c for c in rows.select_for_update().order_by("pk")}
    for clock in clocks.values():
        clock.definition, clock.schedule = cached_definition(clock.definition_id), cached_schedule(clock.schedule_id)
    applying = applicable(definitions, record) if is_open else []
    applicable_ids = {d.pk for d in applying}
    replaced: dict[str, SLAClock] = {}  # by target: what a newly applying definition carries on from
    for clock in clocks.values():
        if is_open and clock.definition_id not in applicable_ids:
            replaced.setdefault(clock.definition.target, clock)
            if clock.stage != SLAClock.STOPPED:
                _retire(clock, record, actor, now)  # e.g. the priority changed: another definition applies now
            continue
        _apply_state(clock, kind, record, actor, now, responded)
    for definition in applying:
        if definition.pk not in clocks:
            _start(definition, kind, record, actor, now, responded, carry=replaced.get(definition.target))


def _apply_state(clock: SLAClock, kind: MeasuredType, record: Any, actor: User, now: datetime, responded: bool) -> None:
    if record.state in kind.canceled_states:
        return _cancel(clock, record, actor, now) if clock.stage != SLAClock.STOPPED else None
    met = record.state in kind.done_states or (
        clock.definition.target == "response" and _responded(clock.definition, record, responded)
    )
    if clock.stage == SLAClock.STOPPED:
        if not met and record.state in kind.open_states and clock.definition.target == "resolution":
            _resume(clock, now)  # reopened: the resolution clock runs on
            _log(clock, record, actor, "sla_resumed", "reopened")
        return None
    if met:
        _stop(clock, now)
        _log(clock, record, actor, "sla_stopped", clock.state)
    elif _paused_by(clock.definition, kind, record) and clock.stage == SLAClock.RUNNING:
        _pause(clock, now)
        _log(clock, record, actor, "sla_paused", record.hold_reason)
    elif not _paused_by(clock.definition, kind, record) and clock.stage == SLAClock.PAUSED:
        _resume(clock, now)
        _log(clock, record, actor, "sla_resumed", "")
    return None


def _responded(definition: SLADefinition, record: Any, commented: bool) -> bool:
    """An agent's public comment just now (`commented`) or an assignee, as the definition counts them."""
    by = definition.response_met_by
    return ("public_comment" in by and commented) or ("assignment" in by and record.assignee_id is not None)


def _paused_by(definition: SLADefinition, kind: MeasuredType, record: Any) -> bool:
    reasons = definition.pause_hold_reasons
    return bool(record.state == kind.on_hold_state and (not reasons or record.hold_reason in reasons))


# -- one clock ----------------------------------------------------------------------------------


def _calendar(clock: SLAClock) -> Calendar:
    return calendar_for(clock.schedule)


def _start(
    definition: SLADefinition, kind: MeasuredType, record: Any, actor: User, now: datetime, responded: bool,
    carry: SLAClock | None = None,
) -> None:  # fmt: skip
    """A new clock. `carry`: the clock of the same target that stopped applying (a priority change): the
    new one counts from the same start with the working time already used, as a retroactive start does,
    and a target already met stays met."""
    schedule = fresh_schedule(schedule_for(definition, record).pk)  # another process may have edited it
    clock = SLAClock(
        record_type=kind.record_type, record_id=record.pk, definition=definition, schedule=schedule, started_at=now,
        duration_us=definition.duration // timedelta(microseconds=1), segment_start=now,
    )  # fmt: skip
    met_before = carry is not None and carry.stage == SLAClock.STOPPED and carry.breached_at is None
    if carry is not None and not met_before:
        clock.started_at, clock.elapsed_us = carry.started_at, elapsed_us(carry, now)
        used = 100 * clock.elapsed_us // clock.duration_us
        clock.warnings_fired = sum(1 for w in definition.warnings if used >= w)  # no storm of old warnings
    if (definition.target == "response" and _responded(definition, record, responded)) or met_before:
        clock.stage, clock.segment_start, clock.stopped_at = SLAClock.STOPPED, None, now  # met at once
        clock.save()
        _log(clock, record, actor, "sla_stopped", "achieved")
        return
    if _paused_by(definition, kind, record):
        clock.stage, clock.segment_start, clock.paused_at = SLAClock.PAUSED, None, now
    else:
        plan_next(clock, _calendar(clock))
    clock.save()
    _log(clock, record, actor, "sla_started", f"due {clock.due_at.isoformat() if clock.due_at else 'when resumed'}")


def fresh_schedule(pk: int) -> Schedule:
    return Schedule.objects.get(pk=pk)


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
    _infer_breach(clock)
    clock.stage, clock.segment_start, clock.paused_at = SLAClock.PAUSED, None, now
    clock.due_at = clock.next_event_at = None
    clock.save()


def _infer_breach(clock: SLAClock) -> None:
    """Past due before the worker got to it (or while it was down): breached all the same, at its due
    date, with every warning counted as given so that none is replayed later."""
    if clock.breached_at is None and clock.elapsed_us >= clock.duration_us:
        clock.breached_at = clock.due_at or timezone.now()
        clock.warnings_fired = len(clock.definition.warnings) + 1


def _resume(clock: SLAClock, now: datetime) -> None:
    if clock.paused_at is not None:
        clock.paused_wall_us += to_us(now) - to_us(clock.paused_at)
    clock.stage, clock.segment_start, clock.paused_at, clock.stopped_at = SLAClock.RUNNING, now, None, None
    plan_next(clock, _calendar(clock))
    clock.save()


def _stop(clock: SLAClock, now: datetime) -> None:
    clock.elapsed_us = elapsed_us(clock, now)
    _infer_breach(clock)
    if clock.paused_at is not None:
        clock.paused_wall_us += to_us(now) - to_us(clock.paused_at)
    clock.stage, clock.segment_start, clock.stopped_at, clock.paused_at = SLAClock.STOPPED, None, now, None
    clock.next_event_at = None
    clock.save()


def _retire(clock: SLAClock, record: Any, actor: User, now: datetime) -> None:
    """A clock whose definition stopped applying: canceled, unless it had breached, which stays on record
    (the attainment report counts it) as a stopped, breached clock."""
    if clock.breached_at is not None or elapsed_us(clock, now) >= clock.duration_us:
        _stop(clock, now)  # counts the time and infers the breach itself
        _log(clock, record, actor, "sla_stopped", "breached; no longer applies")
    else:
        _cancel(clock, record, actor, now)


def _cancel(clock: SLAClock, record: Any, actor: User, now: datetime) -> None:
    clock.elapsed_us = elapsed_us(clock, now)
    clock.stage, clock.segment_start, clock.stopped_at, clock.next_event_at = SLAClock.CANCELED, None, now, None
    clock.save()
    _log(clock, record, actor, "sla_canceled", "no longer applies")


def _log(clock: SLAClock, record: Any, actor: User, action: str, detail: str) -> None:
    audit.record(
        actor=actor, record_type=clock.record_type, record_id=record.pk, record_label=record.audit_label,
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


def recompute_for_schedule(
    schedule_id: int, *, previous: Calendar | None = None, now: datetime | None = None, chunk: int = 5000
) -> int:
    """After a schedule edit: every running clock on it gets its due date and next event again. The time
    worked so far stays as it was counted on the `previous` hours (added to `elapsed_us` at `now`, where a
    new segment starts), so an edit changes the future, not the past: a clock whose time ran out on those
    hours before the edit (not yet breached: the worker had not got to it) is due at the instant it ran out
    and breaches at that instant, its warnings counted as given, not replayed. Paused and stopped clocks
    need nothing: they are planned on resume. Returns the number of clocks updated.

    Reads only the columns the plan needs (no model instances, definitions' warnings looked up once) in
    one query fetched in chunks and locked as read (FOR UPDATE on PostgreSQL: the worker skips them until
    the edit commits, so it cannot fire on a plan this rewrites); at 1,000,000 clocks the rows, not the
    calendar, are what costs."""
    calendar = calendar_for(Schedule.objects.get(pk=schedule_id))
    now = (now or timezone.now()).replace(microsecond=0)
    warnings = dict(SLADefinition.objects.values_list("pk", "warnings"))
    rows = (
        SLAClock.objects.filter(schedule_id=schedule_id, stage=SLAClock.RUNNING)
        .select_for_update()
        .order_by("pk")
        .values_list(
            "pk", "segment_start", "duration_us", "elapsed_us", "definition_id", "warnings_fired", "breached_at"
        )
    )
    done = 0
    batch: list[Plan] = []
    for pk, segment_start, duration_us, elapsed, definition_id, fired, breached_at in rows.iterator(chunk_size=chunk):
        assert segment_start is not None
        ran_out: datetime | None = None
        next_event: datetime | None
        if previous is not None and segment_start < now:
            ran_out = _ran_out_at(previous, segment_start, now, duration_us, elapsed, breached_at)
            elapsed += previous.elapsed_us(to_us(segment_start), to_us(now))
            segment_start = now
        if ran_out is not None:  # the breach is still to fire (by the worker), at the instant the time ran out
            due, next_event, fired = ran_out, ran_out, len(warnings[definition_id])
        else:
            due, next_event = _plan(calendar, segment_start, duration_us, elapsed, warnings[definition_id], fired,
                                    breached_at)  # fmt: skip
        batch.append((pk, due, next_event, elapsed, segment_start, fired))
        if len(batch) == chunk:
            _save_plans(batch)
            done, batch = done + len(batch), []
    if batch:
        _save_plans(batch)
    return done + len(batch)


def _ran_out_at(
    previous: Calendar, segment_start: datetime, now: datetime, duration_us: int, elapsed: int,
    breached_at: datetime | None,
) -> datetime | None:  # fmt: skip
    """The instant a running clock's working time ran out on the `previous` hours, if it did by `now` and
    it has not breached yet; else None."""
    if breached_at is not None:
        return None
    remaining = duration_us - elapsed
    if remaining > previous.elapsed_us(to_us(segment_start), to_us(now)):
        return None
    return from_us(previous.due_us(to_us(segment_start), remaining))  # the segment start if none was left


# id, due, next event, elapsed, segment start, warnings fired
Plan = tuple[int, datetime, datetime | None, int, datetime, int]


def _save_plans(plans: list[Plan]) -> None:
    """Write the plans of many clocks: one UPDATE joined to arrays on PostgreSQL (a `bulk_update` CASE
    over thousands of ids costs quadratic time there), `bulk_update` elsewhere."""
    if connection.vendor != "postgresql":
        clocks = [SLAClock(pk=pk, due_at=due, next_event_at=nxt, elapsed_us=el, segment_start=seg, warnings_fired=w)
                  for pk, due, nxt, el, seg, w in plans]  # fmt: skip
        fields = ["due_at", "next_event_at", "elapsed_us", "segment_start", "warnings_fired"]
        SLAClock.objects.bulk_update(clocks, fields, batch_size=len(clocks))
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SLAClock._meta.db_table} AS c SET due_at = v.due_at, next_event_at = v.next_event_at, "  # noqa: S608
            "elapsed_us = v.elapsed_us, segment_start = v.segment_start, warnings_fired = v.warnings_fired "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::bigint[], %s::timestamptz[], "
            "%s::smallint[]) AS v(id, due_at, next_event_at, elapsed_us, segment_start, warnings_fired) "
            "WHERE c.id = v.id",
            [[p[0] for p in plans], [p[1] for p in plans], [p[2] for p in plans], [p[3] for p in plans],
             [p[4] for p in plans], [p[5] for p in plans]],
        )  # fmt: skip
