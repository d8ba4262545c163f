"""Every write to schedules goes through these functions (ARCHITECTURE rule 1), audited."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeVar

from django.utils import timezone

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import Site, User
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput
from plantdesk.slas.clocks import recompute_for_schedule
from plantdesk.slas.definitions import parse_definition
from plantdesk.slas.models import LocationSchedule, Schedule, SLADefinition
from plantdesk.slas.schedules import calendar_for, parse_schedule

SCHEDULE_RECORD = "schedule"
SCHEDULE_AUDITED = ["name", "time_zone", "hours", "holiday_country", "holiday_subdivision", "extra_closed_days"]


def _admin_only(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("Only administrators change schedules.")


def do_create_schedule(data: Mapping[str, Any], *, actor: User) -> Schedule:
    _admin_only(actor)
    errors: list[FieldError] = []
    return _create_named(Schedule, parse_schedule(data, errors), errors, SCHEDULE_RECORD, SCHEDULE_AUDITED, actor)


M = TypeVar("M", Schedule, SLADefinition)


def _create_named(
    model: type[M], values: dict[str, Any], errors: list[FieldError], record_type: str, audited: list[str], actor: User
) -> M:
    """Create a configuration row with a unique name, all of it in the audit trail, or refuse naming fields."""
    if values.get("name") and model.objects.filter(name=values["name"]).exists():
        errors.append(FieldError("name", f"A {model._meta.verbose_name} named {values['name']!r} exists already."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        now = timezone.now()
        row = model.objects.create(created_at=now, updated_at=now, **values)
        audit.record_changes(
            actor=actor, obj=row, record_type=record_type, before=audit.default_snapshot(model, audited),
            after=audit.snapshot(row, audited), action="created",
        )  # fmt: skip
    return row


def do_update_schedule(schedule: Schedule, data: Mapping[str, Any], *, actor: User) -> Schedule:
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_schedule(data, errors, partial=True)
    with audit.action_transaction():
        previous = calendar_for(copy.copy(schedule))  # the hours worked so far were counted on these
        locked, changed = _update_named(schedule, values, errors, SCHEDULE_RECORD, SCHEDULE_AUDITED, actor)
        if changed:
            recompute_for_schedule(locked.pk, previous=previous)  # same transaction: no clock keeps the old hours
    return locked


def _update_named(
    row: M, values: dict[str, Any], errors: list[FieldError], record_type: str, audited: list[str], actor: User
) -> tuple[M, list[str]]:
    """Change a configuration row with a unique name, every changed field in the audit trail; refuse
    naming fields. Runs inside the caller's action transaction."""
    model = type(row)
    name = values.get("name")
    if name and model.objects.filter(name=name).exclude(pk=row.pk).exists():
        errors.append(FieldError("name", f"A {model._meta.verbose_name} named {name!r} exists already."))
    if errors:
        raise InvalidInput.for_fields(errors)
    locked = model.objects.select_for_update().get(pk=row.pk)
    before = audit.snapshot(locked, audited)
    for key, value in values.items():
        setattr(locked, key, value)
    changed = audit.record_changes(
        actor=actor, obj=locked, record_type=record_type, before=before, after=audit.snapshot(locked, audited)
    )
    if changed:
        locked.updated_at = timezone.now()
        locked.save()
    return locked, changed


DEFINITION_RECORD = "sla_definition"
DEFINITION_AUDITED = ["name", "kind", "target", "record_type", "duration", "schedule", "use_location_schedule",
                      "conditions", "pause_hold_reasons", "response_met_by", "warnings", "breach_actions",
                      "active"]  # fmt: skip


def do_create_definition(data: Mapping[str, Any], *, actor: User) -> SLADefinition:
    """A new definition applies to records as they change from now on (running clocks are not touched)."""
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_definition(data, errors)
    return _create_named(SLADefinition, values, errors, DEFINITION_RECORD, DEFINITION_AUDITED, actor)


def do_set_schedule_locations(
    schedule: Schedule, *, sites: list[Site], lines: list[ConfigurationItem] | None = None, actor: User
) -> None:
    """Exactly these sites and lines work this schedule's hours; places it had and no longer has go back
    to the definitions' own schedules (or their site's). Definitions with use_location_schedule follow."""
    _admin_only(actor)
    lines = lines or []
    not_lines = [ci.name for ci in lines if ci.ci_class.name != "line"]
    if not_lines:
        raise InvalidInput.for_field("lines", f"Not a line: {', '.join(not_lines)}.")
    with audit.action_transaction():
        before = _places(schedule)
        LocationSchedule.objects.filter(schedule=schedule).exclude(site__in=sites).exclude(line__in=lines).delete()
        for site in sites:
            LocationSchedule.objects.update_or_create(site=site, defaults={"schedule": schedule})
        for line in lines:
            LocationSchedule.objects.update_or_create(line=line, defaults={"schedule": schedule})
        after = _places(schedule)
        if before != after:
            audit.record(
                actor=actor, record_type=SCHEDULE_RECORD, record_id=schedule.pk, record_label=schedule.name,
                action="updated", field="locations", old=", ".join(before), new=", ".join(after),
            )  # fmt: skip


def _places(schedule: Schedule) -> list[str]:
    rows = LocationSchedule.objects.filter(schedule=schedule).select_related("site", "line")
    return sorted([row.site.code for row in rows if row.site] + [row.line.name for row in rows if row.line])


def do_update_definition(definition: SLADefinition, data: Mapping[str, Any], *, actor: User) -> SLADefinition:
    """Change a definition (e.g. `active: false`); clocks already running keep going as they were, records
    re-select their clocks the next time they change."""
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_definition(data, errors, partial=True, record_type=definition.record_type)
    with audit.action_transaction():
        locked, _ = _update_named(definition, values, errors, DEFINITION_RECORD, DEFINITION_AUDITED, actor)
    return locked
