"""Turning API-level values (usernames, group names, numbers) into model values, with field errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings

from plantdesk.accounts.fields import group_field, site_field, user_field
from plantdesk.accounts.lookups import group_named
from plantdesk.accounts.models import User
from plantdesk.cmdb.references import ci_field
from plantdesk.core.choices import is_active_option
from plantdesk.core.config_cache import config_cache
from plantdesk.core.errors import InvalidInput
from plantdesk.core.fields import Errors, boolean, choice, text
from plantdesk.incidents.choices import CATEGORY_SET, RESOLUTION_CODE_SET, HoldReason, Level, Source, State
from plantdesk.incidents.models import AssignmentRule, Incident
from plantdesk.incidents.queries import get_visible

# Fields whose every change is written to the audit trail.
AUDITED_FIELDS = [
    "short_description", "description", "impact", "urgency", "priority", "category", "ci", "site",
    "source", "caller", "assignment_group", "assignee", "hold_reason", "resolution_code",
    "resolution_notes", "cancel_reason", "parent", "major_incident", "major_incident_owner",
    "time_worked_minutes",
]  # fmt: skip

EDITABLE_FIELDS = frozenset({
    "short_description", "description", "impact", "urgency", "category", "ci", "site", "caller",
    "assignment_group", "assignee", "parent", "major_incident", "major_incident_owner", "time_worked_minutes",
})  # fmt: skip
CREATE_FIELDS = EDITABLE_FIELDS | {"source"}
CALLER_EDITABLE_ON_CREATE = frozenset({"short_description", "description", "impact", "urgency", "category", "ci"})

WORK_INCIDENTS = "work incidents"
MAX_LENGTHS = {"short_description": 160, "description": 20_000, "resolution_notes": 20_000, "reason": 2000}


Converter = Callable[[Any, Errors], Any]
ActorConverter = Callable[[Any, Errors, User], Any]


def text_converter(field: str, max_length: int) -> Converter:
    """Text of at most `max_length` characters; the short description is required (incidents and problems)."""

    def convert(value: Any, errors: Errors) -> Any:
        return text(value, field, errors, max_length=max_length, required=field == "short_description")

    return convert


def _text(field: str) -> Converter:
    return text_converter(field, MAX_LENGTHS[field])


def level_converter(field: str) -> Converter:
    """Impact or urgency: 1 (high) .. 3 (low)."""

    def convert(value: Any, errors: Errors) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value not in Level.values:
            errors.add(field, "Must be 1 (high), 2 (medium) or 3 (low).")
            return None
        return value

    return convert


_level = level_converter


def category(value: Any, errors: Errors) -> Any:
    """A category of the incident option list (problems are categorised like their incidents)."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not is_active_option(CATEGORY_SET, value):
        errors.add("category", f"Unknown category {value!r}.")
    return value


_category = category


def _parent(value: Any, errors: Errors, actor: User) -> Any:
    """Only an incident the actor can see may become a parent (unknown and invisible read the same)."""
    if value in (None, ""):
        return None
    parent = get_visible(actor, value) if isinstance(value, str) else None
    if parent is None:
        errors.add("parent", f"Unknown incident {value!r}.")
    return parent


# Converters that need to know who asks: what they may refer to depends on the actor's permissions.
ACTOR_CONVERTERS: dict[str, ActorConverter] = {
    "parent": _parent,
    "ci": lambda value, errors, actor: ci_field(value, "ci", errors, actor),
}


def _minutes(value: Any, errors: Errors) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        errors.add("time_worked_minutes", "Must be a whole number of minutes, 0 or more.")
    return value


CONVERTERS: dict[str, Converter] = {
    "short_description": _text("short_description"),
    "description": _text("description"),
    "impact": _level("impact"),
    "urgency": _level("urgency"),
    "category": _category,
    "site": lambda v, e: site_field(v, "site", e),
    "source": lambda v, e: choice(v, "source", e, Source.values),
    "caller": lambda v, e: user_field(v, "caller", e, required=True),
    "assignment_group": lambda v, e: group_field(v, "assignment_group", e),
    "assignee": lambda v, e: user_field(v, "assignee", e, fulfiller_for=WORK_INCIDENTS),
    "major_incident": lambda v, e: boolean(v, "major_incident", e),
    "major_incident_owner": lambda v, e: user_field(v, "major_incident_owner", e, fulfiller_for=WORK_INCIDENTS),
    "time_worked_minutes": _minutes,
}


def resolve_fields(data: Mapping[str, Any], *, actor: User, creating: bool) -> dict[str, Any]:
    allowed = CREATE_FIELDS if creating else EDITABLE_FIELDS
    return convert_fields(data, allowed=allowed, converters=CONVERTERS, actor_converters=ACTOR_CONVERTERS, actor=actor)


def convert_fields(
    data: Mapping[str, Any],
    *,
    allowed: frozenset[str],
    converters: Mapping[str, Converter],
    actor_converters: Mapping[str, ActorConverter],
    actor: User,
) -> dict[str, Any]:
    """Every given field through its converter, every error at once (a record's API payload to model values)."""
    errors = Errors()
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in allowed:
            known = name in converters or name in actor_converters
            errors.add(name, "This field cannot be changed." if known else "Unknown field.")
            continue
        if name in actor_converters:
            values[name] = actor_converters[name](raw, errors, actor)
        else:
            values[name] = converters[name](raw, errors)
    errors.raise_if_any()
    return values


def drop_assignee_outside_group(record: Any, values: Mapping[str, Any]) -> None:
    """Moving a record to another group unassigns a person who is not in that group."""
    if "assignment_group" in values and "assignee" not in values and record.assignee is not None:
        group = record.assignment_group
        if group is None or not record.assignee.assignment_groups.filter(pk=group.pk).exists():
            record.assignee = None


_rules = config_cache(lambda: list(AssignmentRule.objects.filter(active=True).select_related("group")))


def resolve_assignment(incident: Any, *, validate_only: bool = False) -> None:
    """Default the group (the assignee's group, the CI's support group, the first matching rule, the
    default group), then check that the assignee belongs to it. Problems are routed the same way: any record
    with `assignment_group`, `assignee`, `ci`, `category` and `site_id`."""
    if not validate_only and incident.assignment_group is None:
        if incident.assignee is not None:
            incident.assignment_group = incident.assignee.assignment_groups.order_by("name").first()
        if incident.assignment_group is None and incident.ci is not None:
            incident.assignment_group = incident.ci.support_group
        if incident.assignment_group is None:
            rule = next((r for r in _rules.get() if r.matches(incident)), None)
            incident.assignment_group = rule.group if rule else group_named(settings.INCIDENT_DEFAULT_GROUP)
    if incident.assignee is not None:
        group = incident.assignment_group
        if group is None or not incident.assignee.assignment_groups.filter(pk=group.pk).exists():
            raise InvalidInput.for_field(
                "assignee",
                f"{incident.assignee.username} is not a member of {group or 'any assignment group'}.",
            )
    if isinstance(incident, Incident) and incident.parent is not None and incident.pk is not None:
        ancestor: Incident | None = incident.parent
        while ancestor is not None:
            if ancestor.pk == incident.pk:
                raise InvalidInput.for_field("parent", "An incident cannot be its own parent or ancestor.")
            ancestor = ancestor.parent


def check_transition_fields(
    to: str, *, hold_reason: str, resolution_code: str, resolution_notes: str, reason: str
) -> None:
    errors = Errors()
    if to == State.ON_HOLD and hold_reason not in HoldReason.values:
        errors.add("hold_reason", f"Required: one of {', '.join(HoldReason.values)}.")
    if to == State.RESOLVED:
        if not resolution_code:
            errors.add("resolution_code", "A resolution code is required.")
        elif not is_active_option(RESOLUTION_CODE_SET, resolution_code):
            errors.add("resolution_code", f"Unknown resolution code {resolution_code!r}.")
        if not resolution_notes.strip():
            errors.add("resolution_notes", "Resolution notes are required.")
        elif len(resolution_notes) > MAX_LENGTHS["resolution_notes"]:
            errors.add("resolution_notes", "At most 20000 characters.")
    if to == State.CANCELED and not reason.strip():
        errors.add("reason", "A reason is required to cancel an incident.")
    if len(reason) > MAX_LENGTHS["reason"]:
        errors.add("reason", f"At most {MAX_LENGTHS['reason']} characters.")
    errors.raise_if_any()
