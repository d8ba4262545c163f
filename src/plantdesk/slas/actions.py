"""Every write to schedules goes through these functions (ARCHITECTURE rule 1), audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput
from plantdesk.slas.models import Schedule
from plantdesk.slas.schedules import parse_schedule

SCHEDULE_RECORD = "schedule"
SCHEDULE_AUDITED = ["name", "time_zone", "hours", "holiday_country", "holiday_subdivision", "extra_closed_days"]


def _admin_only(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only administrators change schedules.")


def do_create_schedule(data: Mapping[str, Any], *, actor: User) -> Schedule:
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_schedule(data, errors)
    if values.get("name") and Schedule.objects.filter(name=values["name"]).exists():
        errors.append(FieldError("name", f"A schedule named {values['name']!r} exists already."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        now = timezone.now()
        schedule = Schedule.objects.create(created_at=now, updated_at=now, **values)
        audit.record_changes(
            actor=actor, obj=schedule, record_type=SCHEDULE_RECORD,
            before=audit.default_snapshot(Schedule, SCHEDULE_AUDITED),
            after=audit.snapshot(schedule, SCHEDULE_AUDITED), action="created",
        )  # fmt: skip
    return schedule


def do_update_schedule(schedule: Schedule, data: Mapping[str, Any], *, actor: User) -> Schedule:
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_schedule(data, errors, partial=True)
    name = values.get("name")
    if name and Schedule.objects.filter(name=name).exclude(pk=schedule.pk).exists():
        errors.append(FieldError("name", f"A schedule named {name!r} exists already."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        before = audit.snapshot(locked, SCHEDULE_AUDITED)
        for key, value in values.items():
            setattr(locked, key, value)
        changed = audit.record_changes(
            actor=actor, obj=locked, record_type=SCHEDULE_RECORD, before=before,
            after=audit.snapshot(locked, SCHEDULE_AUDITED),
        )  # fmt: skip
        if changed:
            locked.updated_at = timezone.now()
            locked.save()
    return locked
