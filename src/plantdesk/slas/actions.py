"""Every write to schedules goes through these functions (ARCHITECTURE rule 1), audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.utils import timezone

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import Site, User
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput
from plantdesk.slas.clocks import recompute_for_schedule
from plantdesk.slas.definitions import parse_definition
from plantdesk.slas.models import LocationSchedule, Schedule, SLADefinition
from plantdesk.slas.schedules import parse_schedule

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
            recompute_for_schedule(locked.pk)  # in the same transaction: no clock is left on the old hours
    return locked


DEFINITION_RECORD = "sla_definition"
DEFINITION_AUDITED = ["name", "kind", "target", "record_type", "duration", "schedule", "use_location_schedule",
                      "conditions", "pause_hold_reasons", "warnings", "breach_actions", "active"]  # fmt: skip


def do_create_definition(data: Mapping[str, Any], *, actor: User) -> SLADefinition:
    """A new definition applies to records as they change from now on (running clocks are not touched)."""
    _admin_only(actor)
    errors: list[FieldError] = []
    values = parse_definition(data, errors)
    return _create_named(SLADefinition, values, errors, DEFINITION_RECORD, DEFINITION_AUDITED, actor)


def do_set_location_schedule(schedule: Schedule, *, site: Site | None = None, line: Any = None, actor: User) -> None:
    """Give a site or a line its own working time (definitions with use_location_schedule follow it)."""
    _admin_only(actor)
    if (site is None) == (line is None):
        raise InvalidInput.for_field("site", "Name either a site or a line.")
    with audit.action_transaction():
        LocationSchedule.objects.update_or_create(site=site, line=line, defaults={"schedule": schedule})
        place = site.code if site else line.name
        audit.record(actor=actor, record_type=SCHEDULE_RECORD, record_id=schedule.pk, record_label=schedule.name,
                     action="assigned", field="location", new=place)  # fmt: skip


def do_set_schedule_sites(schedule: Schedule, sites: list[Site], *, actor: User) -> None:
    """Exactly these sites work this schedule's hours (sites it had and no longer has go back to the
    definitions' own schedules)."""
    _admin_only(actor)
    with audit.action_transaction():
        current = set(
            LocationSchedule.objects.filter(schedule=schedule, site__isnull=False).values_list("site_id", flat=True)
        )
        wanted = {s.pk for s in sites}
        LocationSchedule.objects.filter(schedule=schedule, site_id__in=current - wanted).delete()
        for site in sites:
            if site.pk not in current:
                LocationSchedule.objects.update_or_create(site=site, defaults={"schedule": schedule})
        if current != wanted:
            codes = dict(Site.objects.filter(pk__in=current | wanted).values_list("pk", "code"))
            audit.record(
                actor=actor, record_type=SCHEDULE_RECORD, record_id=schedule.pk, record_label=schedule.name,
                action="updated", field="sites", old=", ".join(sorted(codes[i] for i in current)),
                new=", ".join(sorted(codes[i] for i in wanted)),
            )  # fmt: skip
