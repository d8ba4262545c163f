"""Turning API-level values (CI names, usernames, group names, ISO times) into change values, with field
errors; and the field sets that signatures cover."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.fields import group_field, site_field, user_field
from plantdesk.accounts.models import User
from plantdesk.changes.choices import RISK_QUESTIONS, ChangeType, ReviewOutcome, ValidationImpact
from plantdesk.changes.models import StandardChangeTemplate
from plantdesk.changes.window_input import EARLIEST, LATEST, parse_when
from plantdesk.cmdb.references import ci_list_field
from plantdesk.core.fields import Errors, boolean, choice, text

# Every change and window field as people read it: the pages' history, the exports' headers.
FIELD_LABELS = {
    "number": _("Number"),
    "short_description": _("Short description"),
    "type": _("Type"),
    "template": _("Standard change template"),
    "state": _("State"),
    "site": _("Site"),
    "gxp_relevant": _("GxP relevant"),
    "planned_start": _("Planned start"),
    "planned_end": _("Planned end"),
    "actual_start": _("Actual start"),
    "actual_end": _("Actual end"),
    "cis": _("Configuration items"),
    "risk": _("Risk"),
    "validation_impact": _("Validation impact"),
    "validation_specs_affected": _("Specifications affected"),
    "validation_retest_scope": _("Re-test scope"),
    "validation_data_migration": _("Data migration"),
    "validation_part11_affected": _("Part 11 functions affected"),
    "qms_change_control_ref": _("QMS change-control reference"),
    "deviation_ref": _("Deviation reference"),
    "approval": _("Approval"),
    "requested_by": _("Requested by"),
    "assignment_group": _("Assignment group"),
    "assignee": _("Assignee"),
    "override_reason": _("Conflict override reason"),
    "review_outcome": _("Review outcome"),
    "review_notes": _("Review notes"),
    "verification_evidence": _("Verification evidence"),
    "cancel_reason": _("Cancel reason"),
    "opened_at": _("Opened"),
    "updated_at": _("Updated"),
    "closed_at": _("Closed"),
    "description": _("Description"),
    "justification": _("Justification"),
    "implementation_plan": _("Implementation plan"),
    "backout_plan": _("Back-out plan"),
    "test_plan": _("Test plan"),
    "risk_answers": _("Risk assessment answers"),
    "retrospective_due_at": _("Retrospective QA due"),
    "ot_tasks": _("OT change tasks"),
    "start": _("Start"),
    "end": _("End"),
    "rrule": _("Repeats"),
    "time_zone": _("Time zone"),
    "kind": _("Kind"),
    "sites": _("Sites"),
    "name": _("Name"),
}

TEXT_LIMITS = {
    "short_description": 160, "description": 20_000, "justification": 20_000, "implementation_plan": 20_000,
    "backout_plan": 20_000, "test_plan": 20_000, "validation_specs_affected": 5000, "validation_retest_scope": 5000,
    "qms_change_control_ref": 100, "verification_evidence": 20_000, "deviation_ref": 100, "review_notes": 20_000,
}  # fmt: skip
BOOLEANS = ("validation_data_migration", "validation_part11_affected")
TIMES = ("planned_start", "planned_end", "actual_start", "actual_end")

# What the plan-stage signatures (approvals, QA before implementation, a conflict override) cover: a change
# to any of these after signing invalidates them and sends the change back to be authorised again.
PLAN_SIGNED_FIELDS = (
    "type", "short_description", "justification", "implementation_plan", "backout_plan", "test_plan", "cis",
    "planned_start", "planned_end", "risk", "validation_impact", "validation_specs_affected",
    "validation_retest_scope", "validation_data_migration", "validation_part11_affected", "qms_change_control_ref",
)  # fmt: skip
# What the closing QA signature covers.
CLOSE_SIGNED_FIELDS = (
    "verification_evidence", "review_outcome", "review_notes", "actual_start", "actual_end", "deviation_ref",
)  # fmt: skip

AUDITED_FIELDS = [
    *PLAN_SIGNED_FIELDS, *CLOSE_SIGNED_FIELDS, "description", "site", "assignment_group", "assignee",
    "risk_answers", "gxp_relevant",
]  # fmt: skip

CREATE_FIELDS = frozenset({
    "type", "template", "short_description", "description", "justification", "implementation_plan",
    "backout_plan", "test_plan", "cis", "planned_start", "planned_end", "assignment_group", "assignee", "site",
    "risk_answers", "validation_impact", "validation_specs_affected", "validation_retest_scope",
    "validation_data_migration", "validation_part11_affected", "qms_change_control_ref", "ot_tasks",
})  # fmt: skip
EDITABLE_FIELDS = (CREATE_FIELDS - {"type", "template", "ot_tasks"}) | frozenset(
    {"actual_start", "actual_end", "verification_evidence", "deviation_ref", "review_outcome", "review_notes"}
)
MAX_CIS = 200


def parse_time(field: str, value: Any, errors: Errors) -> datetime | None:
    """An aware time between 2000 and 2099 (the windows' bounds: a plan beyond is a typo, and date
    arithmetic near year 9999 overflows)."""
    if value in (None, ""):
        return None
    parsed = parse_when(value)
    if parsed is None:
        naive = isinstance(value, str) and parse_datetime_safe(value) is not None
        message = "Give the time with its UTC offset (e.g. +01:00 or Z)." if naive else (
            "Must be an ISO 8601 date and time, e.g. 2026-12-05T22:00:00+01:00."
        )  # fmt: skip
        errors.add(field, message)
        return None
    if not EARLIEST <= parsed < LATEST:
        errors.add(field, "Must lie between the years 2000 and 2099.")
        return None
    return parsed


def parse_datetime_safe(value: str) -> datetime | None:
    try:
        return parse_datetime(value.strip())
    except ValueError:
        return None


def resolve_fields(data: Mapping[str, Any], *, actor: User, creating: bool) -> dict[str, Any]:
    allowed = CREATE_FIELDS if creating else EDITABLE_FIELDS
    errors = Errors()
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in allowed:
            known = name in CREATE_FIELDS or name in EDITABLE_FIELDS
            errors.add(name, "This field cannot be changed now." if known else "Unknown field.")
        elif name in TEXT_LIMITS:
            values[name] = text(raw, name, errors, max_length=TEXT_LIMITS[name])
        elif name in BOOLEANS or name == "ot_tasks":
            values[name] = boolean(raw, name, errors)
        elif name in TIMES:
            values[name] = parse_time(name, raw, errors)
        elif name == "cis":
            values[name] = ci_list_field(raw, "cis", errors, actor, limit=MAX_CIS)
        else:
            values[name] = _LOOKUPS[name](raw, errors)
    if not values.get("short_description") and (
        ("short_description" in data and not creating) or (creating and values.get("template") is None)
    ):
        errors.add("short_description", "This field is required.")
    start, end = values.get("planned_start"), values.get("planned_end")
    if start and end and end <= start:
        errors.add("planned_end", "The planned end must be after the planned start.")
    a_start, a_end = values.get("actual_start"), values.get("actual_end")
    if a_start and a_end and a_end < a_start:
        errors.add("actual_end", "The actual end must not be before the actual start.")
    errors.raise_if_any()
    return values


def _template(value: Any, errors: Errors) -> Any:
    if value in (None, ""):
        return None
    template = (
        StandardChangeTemplate.objects.filter(name=value, active=True).first() if isinstance(value, str) else None
    )
    if template is None:
        errors.add("template", f"Unknown standard change template {value!r}.")
    return template


def _risk_answers(value: Any, errors: Errors) -> dict[str, bool]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, bool) for v in value.values()):
        errors.add("risk_answers", "Must map question keys to true or false.")
        return {}
    unknown = sorted(set(value) - set(RISK_QUESTIONS))
    if unknown:
        errors.add("risk_answers", f"Unknown question(s) {', '.join(unknown)}; use {', '.join(RISK_QUESTIONS)}.")
    return {k: bool(v) for k, v in value.items()}


_LOOKUPS: dict[str, Callable[[Any, Errors], Any]] = {
    "type": lambda v, e: choice(v, "type", e, ChangeType.values),
    "validation_impact": lambda v, e: choice(v, "validation_impact", e, ValidationImpact.values, blank=""),
    "review_outcome": lambda v, e: choice(v, "review_outcome", e, ReviewOutcome.values, blank=""),
    "assignee": lambda v, e: user_field(v, "assignee", e, fulfiller_for="implement changes"),
    "assignment_group": lambda v, e: group_field(v, "assignment_group", e),
    "site": lambda v, e: site_field(v, "site", e),
    "template": _template,
    "risk_answers": _risk_answers,
}
