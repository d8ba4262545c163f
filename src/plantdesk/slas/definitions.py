"""SLA definitions: validating the API form, matching records, and the schedule a clock runs on."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import TypeAdapter, ValidationError

from plantdesk.accounts.lookups import group_named, site_coded
from plantdesk.core.config_cache import config_cache, lookup
from plantdesk.core.errors import FieldError
from plantdesk.slas.measured import Condition, measured, measured_types, names
from plantdesk.slas.models import LocationSchedule, Schedule, SLADefinition

RESPONSE_EVENTS = ["assignment", "public_comment"]
BREACH_ACTIONS = {"notify", "raise_priority", "reassign"}
DEFAULT_WARNINGS = [50, 75, 90]
MAX_DURATION = timedelta(days=3660)
_durations = TypeAdapter(timedelta)

# Every definition and schedule, per process until one changes: clocks name them by id, and reading them
# through the cache keeps the clock queries of list pages and incident actions to one lean query.
_definitions = config_cache(lambda: {d.pk: d for d in SLADefinition.objects.select_related("schedule").order_by("pk")})
_schedules = config_cache(lambda: {s.pk: s for s in Schedule.objects.all()})


def active_definitions(record_type: str) -> list[SLADefinition]:
    return [d for d in _definitions.get().values() if d.active and d.record_type == record_type]


def definition(pk: int) -> SLADefinition:
    return lookup(_definitions, pk)


def schedule(pk: int) -> Schedule:
    return lookup(_schedules, pk)


def standard_conditions() -> dict[str, Condition]:
    """Fields every measured record with a site, an assignment group and a CI can be selected on."""
    from plantdesk.cmdb.queries import ci_classes

    return {
        "site": Condition(lambda r: r.site.code if r.site_id else None, names(lambda v: site_coded(v) is not None)),
        "assignment_group": Condition(
            lambda r: r.assignment_group.name if r.assignment_group_id else None,
            names(lambda v: group_named(v) is not None),
        ),
        "ci_class": Condition(lambda r: r.ci.ci_class.name if r.ci_id else None, names(lambda v: v in ci_classes())),
        # The business services the record's CI impacts (CMDB downstream): "anything touching batch recording".
        "service": Condition(services_of, names(lambda v: True)),
    }


def applicable(definitions: list[SLADefinition], record: Any) -> list[SLADefinition]:
    """The definitions whose every condition `record` meets. Each field is read once for all of them:
    `service` walks the CMDB, and several definitions may ask for it."""
    values: dict[str, Any] = {}

    def meets(field: str, allowed: list[Any]) -> bool:
        if field not in values:
            values[field] = conditions[field].read(record)
        value = values[field]
        return bool(value & set(allowed)) if isinstance(value, frozenset) else value in allowed

    if not definitions:
        return []
    conditions = measured(definitions[0].record_type).conditions  # callers pass one record type's definitions
    return [d for d in definitions if all(meets(f, allowed) for f, allowed in d.conditions.items())]


def services_of(record: Any) -> frozenset[str]:
    """Names of the business services a failure of the record's CI reaches (computed only when a
    definition asks, from the CMDB's impact analysis)."""
    from plantdesk.cmdb.impact import impact

    if not getattr(record, "ci_id", None):
        return frozenset()
    return frozenset(
        item.name for item in impact(record.ci, "downstream", depth=8, limit=5000).of_class("business_service")
    )


def schedule_for(definition: SLADefinition, record: Any) -> Schedule:
    """The line's schedule, else the site's, else the definition's: a line or a site may work other hours
    than the definition assumes (DOMAIN.md section 6)."""
    if not definition.use_location_schedule:
        return definition.schedule
    overrides = {(o.site_id, o.line_id): o.schedule for o in _overrides.get()}
    if not overrides:
        return definition.schedule
    line_id = (
        _line_of(record.ci) if getattr(record, "ci_id", None) and any(o.line_id for o in _overrides.get()) else None
    )
    return overrides.get((None, line_id)) or overrides.get((record.site_id, None)) or definition.schedule


_overrides = config_cache(lambda: list(LocationSchedule.objects.select_related("schedule")))


def _line_of(ci: Any) -> int | None:
    """The line a CI is on: itself, or the line that contains it directly or through its cell."""
    from plantdesk.cmdb.models import Relationship

    if ci.ci_class.name == "line":
        return int(ci.pk)
    current = [ci.pk]
    for _ in range(2):  # cell -> line
        containers = list(
            Relationship.objects.filter(target_id__in=current, type__name="contains").values_list(
                "source_id", "source__ci_class__name"
            )
        )
        lines = [pk for pk, cls in containers if cls == "line"]
        if lines:
            return int(lines[0])
        current = [pk for pk, cls in containers if cls == "cell"]
        if not current:
            return None
    return None


# -- the API form -------------------------------------------------------------------------------


def parse_definition(
    data: Mapping[str, Any], errors: list[FieldError], *, partial: bool = False, record_type: str = "incident"
) -> dict[str, Any]:
    """The definition's values from the API form; `record_type`: the current one (an update), else the
    default, used where the form names none."""
    known = {"name", "kind", "target", "record_type", "duration", "schedule", "use_location_schedule",
             "conditions", "pause_hold_reasons", "response_met_by", "warnings", "breach_actions", "active"}  # fmt: skip
    for field in sorted(set(data) - known):
        errors.append(FieldError(field, "Unknown field."))
    values: dict[str, Any] = {}

    def given(name: str) -> bool:
        return name in data or not partial

    if given("name"):
        name = data.get("name")
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
            errors.append(FieldError("name", "A name of 1 to 100 characters."))
        else:
            values["name"] = name.strip()
    for field, choices in (("kind", ["sla", "ola"]), ("target", ["response", "resolution"])):
        if field in data or (not partial and field == "target"):
            if data.get(field) not in choices:
                errors.append(FieldError(field, f"Must be one of {', '.join(choices)}."))
            values[field] = data.get(field)
    if "record_type" in data:
        types = sorted(measured_types())
        if data["record_type"] not in types:
            errors.append(FieldError("record_type", f"Must be one of {', '.join(types)}."))
        else:
            record_type = data["record_type"]
        values["record_type"] = data["record_type"]
    kind_of_record = measured(record_type)
    if given("duration"):
        values["duration"] = _duration(data.get("duration"), errors)
    if given("schedule"):
        schedule = (
            Schedule.objects.filter(name=data.get("schedule")).first()
            if isinstance(data.get("schedule"), str)
            else None
        )
        if schedule is None:
            errors.append(FieldError("schedule", f"Unknown schedule {data.get('schedule')!r}."))
        values["schedule"] = schedule
    if "conditions" in data:
        values["conditions"] = _conditions(data["conditions"], kind_of_record.conditions, errors)
    if "pause_hold_reasons" in data:
        reasons, hold_reasons = data["pause_hold_reasons"], kind_of_record.hold_reasons()
        if not isinstance(reasons, list) or any(r not in hold_reasons for r in reasons):
            errors.append(FieldError("pause_hold_reasons", f"A list of: {', '.join(hold_reasons)}."))
        values["pause_hold_reasons"] = reasons
    if "response_met_by" in data:
        met_by = data["response_met_by"]
        if not isinstance(met_by, list) or not met_by or any(e not in RESPONSE_EVENTS for e in met_by):
            errors.append(FieldError("response_met_by", f"A non-empty list of: {', '.join(RESPONSE_EVENTS)}."))
        values["response_met_by"] = met_by
    if "warnings" in data or not partial:
        values["warnings"] = _warnings(data.get("warnings", DEFAULT_WARNINGS), errors)
    if "breach_actions" in data:
        values["breach_actions"] = _breach_actions(data["breach_actions"], errors)
    for flag in ("active", "use_location_schedule"):
        if flag in data:
            if not isinstance(data[flag], bool):
                errors.append(FieldError(flag, "Must be true or false."))
            values[flag] = data[flag]
    return values


def _duration(raw: Any, errors: list[FieldError]) -> timedelta | None:
    try:
        duration = _durations.validate_python(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    except ValidationError:
        duration = None
    if duration is None or not timedelta(0) < duration <= MAX_DURATION:
        errors.append(FieldError("duration", "An ISO 8601 duration above zero, e.g. PT4H or P2D (at most 10 years)."))
        return None
    return duration


def _conditions(raw: Any, known: Mapping[str, Condition], errors: list[FieldError]) -> dict[str, list[Any]]:
    """Each field's allowed values, each of the field's type and, where the plant names them, one that
    exists: a definition that could never match (or would fail to compare) is refused here."""
    if not isinstance(raw, dict):
        errors.append(FieldError("conditions", "An object of field -> list of values."))
        return {}
    cleaned: dict[str, list[Any]] = {}
    for field, allowed in raw.items():
        where = f"conditions.{field}"
        if field not in known:
            errors.append(FieldError(where, f"Unknown field; use {', '.join(known)}."))
        elif not isinstance(allowed, list) or not allowed:
            errors.append(FieldError(where, "A non-empty list of values."))
        elif problem := known[field].check(allowed):
            errors.append(FieldError(where, problem))
        else:
            cleaned[field] = allowed
    return cleaned


def _warnings(raw: Any, errors: list[FieldError]) -> list[int]:
    if not isinstance(raw, list) or any(isinstance(w, bool) or not isinstance(w, int) or not 0 < w < 100 for w in raw):
        errors.append(FieldError("warnings", "A list of percentages between 1 and 99, e.g. [50, 75, 90]."))
        return []
    return sorted(set(raw))


def _breach_actions(raw: Any, errors: list[FieldError]) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        errors.append(FieldError("breach_actions", 'A list like [{"action": "raise_priority"}].'))
        return []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("action") not in BREACH_ACTIONS:
            errors.append(FieldError(f"breach_actions[{i}]", f"action is one of {', '.join(sorted(BREACH_ACTIONS))}."))
        elif item["action"] == "reassign" and group_named(str(item.get("group"))) is None:
            errors.append(FieldError(f"breach_actions[{i}].group", f"Unknown assignment group {item.get('group')!r}."))
    return list(raw)


def definition_to_dict(definition: SLADefinition) -> dict[str, Any]:
    return {
        "name": definition.name,
        "kind": definition.kind,
        "target": definition.target,
        "record_type": definition.record_type,
        "duration": definition.duration,
        "schedule": definition.schedule.name,
        "use_location_schedule": definition.use_location_schedule,
        "conditions": definition.conditions,
        "pause_hold_reasons": definition.pause_hold_reasons,
        "response_met_by": definition.response_met_by,
        "warnings": definition.warnings,
        "breach_actions": definition.breach_actions,
        "active": definition.active,
    }
