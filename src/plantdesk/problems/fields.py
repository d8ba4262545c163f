"""Turning API-level values (usernames, group names, CI names, numbers) into problem fields, with field errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantdesk.accounts.fields import group_field, site_field, user_field
from plantdesk.accounts.models import User
from plantdesk.changes import queries as change_queries
from plantdesk.changes.models import ChangeRequest
from plantdesk.cmdb.references import ci_field
from plantdesk.core.choices import is_active_option
from plantdesk.core.errors import InvalidInput
from plantdesk.core.fields import Errors, choice, name_list, text
from plantdesk.incidents import queries as incident_queries
from plantdesk.incidents.fields import (
    ActorConverter,
    Converter,
    category,
    convert_fields,
    level_converter,
    text_converter,
)
from plantdesk.incidents.models import Incident
from plantdesk.problems.choices import RESOLUTION_CODE_SET, CapaDecision, State

AUDITED_FIELDS = [
    "short_description", "description", "impact", "urgency", "priority", "category", "ci", "site",
    "gxp_relevant", "assignment_group", "assignee", "fix_change", "resolution_code", "cause_notes",
    "capa_decision", "capa_rationale", "cancel_reason",
]  # fmt: skip
EDITABLE_FIELDS = frozenset({
    "short_description", "description", "impact", "urgency", "category", "ci", "site", "assignment_group",
    "assignee", "fix_change",
})  # fmt: skip
CREATE_FIELDS = EDITABLE_FIELDS | {"incidents"}

WORK_PROBLEMS = "work problems"
MAX_LENGTHS = {"short_description": 160, "description": 20_000, "cause_notes": 20_000, "reason": 2000,
               "capa_rationale": 5000}  # fmt: skip
MAX_LINKED_PER_CALL = 1000


def change_field(value: Any, field: str, errors: Errors, actor: User) -> ChangeRequest | None:
    """A change the actor can see, by number (unknown and invisible read the same)."""
    if value in (None, ""):
        return None
    change = change_queries.get_visible(actor, value) if isinstance(value, str) else None
    if change is None:
        errors.add(field, f"Unknown change {value!r}.")
    return change


def incident_list_field(value: Any, field: str, errors: Errors, actor: User) -> list[Incident]:
    """Incidents the actor can see, by number, in the order given (duplicates dropped)."""
    numbers = name_list(value, field, errors, limit=MAX_LINKED_PER_CALL, noun="incident numbers")
    if not numbers:
        return []
    numbers = list(dict.fromkeys(numbers))
    found = {
        i.number: i
        for i in incident_queries.visible_incidents(actor)
        .filter(number__in=numbers)
        .only("id", "number", "state", "ci_id", "site_id", "category", "short_description", "description")
    }
    missing = [n for n in numbers if n not in found]
    if missing:
        errors.add(field, f"Unknown incident {missing[0]!r}." if len(missing) == 1 else
                   f"Unknown incidents: {', '.join(missing[:10])}.")  # fmt: skip
        return []
    return [found[n] for n in numbers]


ACTOR_CONVERTERS: dict[str, ActorConverter] = {
    "ci": lambda value, errors, actor: ci_field(value, "ci", errors, actor),
    "fix_change": lambda value, errors, actor: change_field(value, "fix_change", errors, actor),
    "incidents": lambda value, errors, actor: incident_list_field(value, "incidents", errors, actor),
}

CONVERTERS: dict[str, Converter] = {
    "short_description": text_converter("short_description", MAX_LENGTHS["short_description"]),
    "description": text_converter("description", MAX_LENGTHS["description"]),
    "impact": level_converter("impact"),
    "urgency": level_converter("urgency"),
    "category": category,
    "site": lambda v, e: site_field(v, "site", e),
    "assignment_group": lambda v, e: group_field(v, "assignment_group", e),
    "assignee": lambda v, e: user_field(v, "assignee", e, fulfiller_for=WORK_PROBLEMS),
}


def resolve_fields(data: Mapping[str, Any], *, actor: User, creating: bool) -> dict[str, Any]:
    allowed = CREATE_FIELDS if creating else EDITABLE_FIELDS
    return convert_fields(data, allowed=allowed, converters=CONVERTERS, actor_converters=ACTOR_CONVERTERS, actor=actor)


def check_transition_fields(
    to: str, *, gxp: bool, resolution_code: str, cause_notes: str, capa_decision: str, capa_rationale: str,
    reason: str,
) -> None:  # fmt: skip
    errors = Errors()
    if to == State.RESOLVED:
        if not resolution_code:
            errors.add("resolution_code", "A resolution code is required.")
        elif not is_active_option(RESOLUTION_CODE_SET, resolution_code):
            errors.add("resolution_code", f"Unknown resolution code {resolution_code!r}.")
        if not cause_notes.strip():
            errors.add("cause_notes", "Cause notes are required: what caused the problem.")
        elif len(cause_notes) > MAX_LENGTHS["cause_notes"]:
            errors.add("cause_notes", f"At most {MAX_LENGTHS['cause_notes']} characters.")
        if gxp:
            choice(capa_decision, "capa_decision", errors, CapaDecision.values)
            if not capa_decision:
                errors.add("capa_decision", "A problem on a GxP-relevant CI answers whether a CAPA is required.")
            elif capa_decision == CapaDecision.NOT_REQUIRED and not capa_rationale.strip():
                errors.add("capa_rationale", "Say why no CAPA is required.")
    if len(capa_rationale) > MAX_LENGTHS["capa_rationale"]:
        errors.add("capa_rationale", f"At most {MAX_LENGTHS['capa_rationale']} characters.")
    if to == State.CANCELED and not reason.strip():
        errors.add("reason", "A reason is required to cancel a problem.")
    if len(reason) > MAX_LENGTHS["reason"]:
        errors.add("reason", f"At most {MAX_LENGTHS['reason']} characters.")
    errors.raise_if_any()


def known_error_fields(data: Mapping[str, Any], *, actor: User) -> dict[str, Any]:
    """The known-error payload of CONTRACT.md section 8 (symptom, root_cause, workaround, cis, vendor...)."""
    from plantdesk.cmdb.references import ci_list_field

    errors = Errors()
    values: dict[str, Any] = {
        "symptom": text(data.get("symptom"), "symptom", errors, max_length=5000, required=True),
        "root_cause": text(data.get("root_cause") or "", "root_cause", errors, max_length=5000),
        "workaround": text(data.get("workaround") or "", "workaround", errors, max_length=10_000),
        "vendor": text(data.get("vendor") or "", "vendor", errors, max_length=100),
        "product_model": text(data.get("product_model") or "", "product_model", errors, max_length=100),
        "affected_version": text(data.get("affected_version") or "", "affected_version", errors, max_length=60),
        "cis": ci_list_field(data.get("cis") or [], "cis", errors, actor, limit=200) or [],
    }
    if data.get("publish") and not str(values["workaround"] or "").strip():
        errors.add("workaround", "A workaround is needed to publish it.")
    errors.raise_if_any()
    return values


def refuse_unknown(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "Unknown field.")
