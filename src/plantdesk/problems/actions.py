"""Every write to a problem goes through these functions (ARCHITECTURE rule 1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from plantdesk.accounts.fields import refuse_site_removal
from plantdesk.accounts.lookups import home_site
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.core import audit
from plantdesk.core.domain_events import changes_between
from plantdesk.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from plantdesk.core.fields import Errors
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import JournalEntry, Visibility
from plantdesk.core.numbering import next_number
from plantdesk.incidents import actions as incident_actions
from plantdesk.incidents.fields import drop_assignee_outside_group, resolve_assignment
from plantdesk.incidents.models import Incident
from plantdesk.incidents.priority import priority_for
from plantdesk.problems import transitions
from plantdesk.problems.choices import FINAL_STATES, State
from plantdesk.problems.fields import (
    AUDITED_FIELDS,
    EDITABLE_FIELDS,
    check_transition_fields,
    incident_list_field,
    resolve_fields,
)
from plantdesk.problems.models import NUMBER_PREFIX, RECORD_TYPE, KnownError, Problem, ProblemIncident
from plantdesk.problems.record import audit_entry, emit, lock

AGENTS_ONLY = "Problems are worked by agents."


def do_create_problem(data: Mapping[str, Any], *, actor: User) -> Problem:
    """Create a problem from API-level values and link the incidents it names (CONTRACT.md section 8)."""
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    values = resolve_fields(data, actor=actor, creating=True)
    incidents: list[Incident] = values.pop("incidents", [])
    with audit.action_transaction():
        now = timezone.now()
        problem = Problem(opened_by=actor, opened_at=now, updated_at=now, state=State.NEW, **values)
        if problem.site is None:  # where it breaks, else where its first incident was raised, else the opener's
            problem.site = problem.ci.site if problem.ci is not None and problem.ci.site else None
            problem.site_id = problem.site_id or next((i.site_id for i in incidents if i.site_id), None)
            if problem.site_id is None:
                problem.site = home_site(actor)
        problem.gxp_relevant = bool(problem.ci and problem.ci.gxp_relevant)
        resolve_assignment(problem)
        problem.priority = priority_for(problem.impact, problem.urgency)
        problem.number = next_number(NUMBER_PREFIX)
        problem.save(force_insert=True)
        audit_entry(actor, problem, "created", new=problem.number)
        before, after = audit.default_snapshot(Problem, AUDITED_FIELDS), audit.snapshot(problem, AUDITED_FIELDS)
        audit.record_changes(actor=actor, obj=problem, record_type=RECORD_TYPE, before=before, after=after,
                             action="created")  # fmt: skip
        emit("created", problem, actor, changes_between(before, after))
        if incidents:
            _link(problem, incidents, actor=actor)
    return problem


def do_create_problem_from_incidents(numbers: Sequence[str], *, actor: User, **overrides: Any) -> Problem:
    """ "Create problem from incident" (and from a candidate's incidents): the first incident's CI, category,
    text, impact and urgency, and every named incident linked."""
    errors = Errors()
    incidents = incident_list_field(list(numbers), "incidents", errors, actor)
    errors.raise_if_any()
    if not incidents:
        raise InvalidInput.for_field("incidents", "Name at least one incident.")
    first = Incident.objects.select_related("ci").get(pk=incidents[0].pk)
    text = first.short_description if len(incidents) == 1 else f"Recurring: {first.short_description}"
    data: dict[str, Any] = {
        "short_description": text[:160],
        "description": first.description,
        "impact": first.impact,
        "urgency": first.urgency,
        "category": first.category,
        "ci": first.ci.name if first.ci else None,
        "incidents": [i.number for i in incidents],
        **overrides,
    }
    return do_create_problem(data, actor=actor)


def do_update_problem(
    problem: Problem, data: Mapping[str, Any], *, actor: User, expected_updated_at: datetime | None = None
) -> Problem:
    """Change fields (never the state). `expected_updated_at` refuses a stale edit with 409."""
    unknown = sorted(set(data) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "This field cannot be changed here.")
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    if problem.ci is not None and data.get("ci") == problem.ci.name:
        data = {k: v for k, v in data.items() if k != "ci"}  # unchanged, even if retired since
    values = resolve_fields(data, actor=actor, creating=False)
    with audit.action_transaction():
        locked = lock(problem, actor)
        if expected_updated_at is not None and locked.updated_at != expected_updated_at:
            raise Conflict("The problem was changed by someone else; reload it and try again.")
        if locked.state in FINAL_STATES:
            raise Conflict(f"A {locked.get_state_display().lower()} problem cannot be changed.")
        refuse_site_removal(locked.site_id, values, actor=actor)
        before = audit.snapshot(locked, AUDITED_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        if "ci" in values:
            locked.gxp_relevant = bool(locked.ci and locked.ci.gxp_relevant)
        drop_assignee_outside_group(locked, values)
        resolve_assignment(locked, validate_only=True)
        locked.priority = priority_for(locked.impact, locked.urgency)
        after = audit.snapshot(locked, AUDITED_FIELDS)
        changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after)
        if not changed:
            return locked
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*changed, "updated_at"])
        if "site" in changed:
            KnownError.objects.filter(problem=locked).update(site=locked.site)
        emit("updated", locked, actor, changes_between(before, after, changed))
    return locked


def do_transition_problem(
    problem: Problem,
    to: str,
    *,
    actor: User,
    resolution_code: str = "",
    cause_notes: str = "",
    capa_decision: str = "",
    capa_rationale: str = "",
    reason: str = "",
) -> Problem:
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    with audit.action_transaction():
        locked = lock(problem, actor)
        if to == locked.state:
            return locked
        allowed = transitions.allowed_next_states(locked)
        if to not in allowed:
            shown = ", ".join(allowed) or "none"
            raise Conflict(
                f"{locked.number} cannot go from {locked.state} to {to}; allowed next states: {shown}.",
                allowed=allowed,
            )
        return apply_transition(locked, to, actor=actor, resolution_code=resolution_code, cause_notes=cause_notes,
                                 capa_decision=capa_decision, capa_rationale=capa_rationale, reason=reason)  # fmt: skip


def apply_transition(
    locked: Problem, to: str, *, actor: User, resolution_code: str = "", cause_notes: str = "",
    capa_decision: str = "", capa_rationale: str = "", reason: str = "",
) -> Problem:  # fmt: skip
    check_transition_fields(to, gxp=locked.gxp_relevant, resolution_code=resolution_code, cause_notes=cause_notes,
                            capa_decision=capa_decision, capa_rationale=capa_rationale, reason=reason)  # fmt: skip
    now = timezone.now()
    old = locked.state
    before = audit.snapshot(locked, [*AUDITED_FIELDS, "state"])
    locked.state = to
    if to == State.RESOLVED:
        locked.resolution_code = resolution_code
        locked.cause_notes = cause_notes.strip()
        locked.capa_decision = capa_decision if locked.gxp_relevant else ""
        locked.capa_rationale = capa_rationale.strip() if locked.gxp_relevant else ""
        locked.resolved_at, locked.resolved_by = now, actor
    if transitions.is_reopen(old, to):  # the old resolution stays in the history only
        locked.resolved_at, locked.resolved_by = None, None
        locked.resolution_code, locked.cause_notes, locked.capa_decision, locked.capa_rationale = "", "", "", ""
    if to == State.CLOSED:
        locked.closed_at = now
    if to == State.CANCELED:
        locked.cancel_reason = reason.strip()
    locked.updated_at = now
    after = audit.snapshot(locked, [*AUDITED_FIELDS, "state"])
    changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after,
                                   action="transition", reason=reason.strip())  # fmt: skip
    locked.save(update_fields=[*changed, "resolved_at", "resolved_by", "closed_at", "updated_at"])
    emit("state_changed", locked, actor, changes_between(before, after, changed), data={"reason": reason.strip()})
    return locked


# -- incidents ------------------------------------------------------------------------------------------


def do_link_incidents(problem: Problem, numbers: Sequence[str], *, actor: User) -> list[str]:
    """Link incidents to a problem; one already linked to another problem is refused (nothing is linked).
    Returns the numbers newly linked (one linked here already is no change)."""
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    errors = Errors()
    incidents = incident_list_field(list(numbers), "incidents", errors, actor)
    errors.raise_if_any()
    if not incidents:
        raise InvalidInput.for_field("incidents", "Name at least one incident.")
    with audit.action_transaction():
        locked = lock(problem, actor)
        if locked.state in FINAL_STATES:
            raise Conflict(f"{locked.number} is {locked.state}; it takes no more incidents.")
        linked = _link(locked, incidents, actor=actor)
        if linked:
            locked.updated_at = timezone.now()
            locked.save(update_fields=["updated_at"])
    return [i.number for i in linked]


def _link(problem: Problem, incidents: list[Incident], *, actor: User) -> list[Incident]:
    existing = dict(
        ProblemIncident.objects.filter(incident__in=incidents).values_list("incident_id", "problem__number")
    )
    elsewhere = [i.number for i in incidents if existing.get(i.pk) not in (None, problem.number)]
    if elsewhere:
        owner = existing[next(i.pk for i in incidents if i.number == elsewhere[0])]
        raise InvalidInput.for_field(
            "incidents", f"{elsewhere[0]} is already linked to {owner}; unlink it there first."
        )
    new = [i for i in incidents if i.pk not in existing]
    now = timezone.now()
    ProblemIncident.objects.bulk_create(
        ProblemIncident(problem=problem, incident=i, linked_at=now, linked_by=actor) for i in new
    )
    for incident in new:
        audit_entry(actor, problem, "incident_linked", field="incidents", new=incident.number)
        audit.record(actor=actor, record_type="incident", record_id=incident.pk, record_label=incident.number,
                     action="problem_linked", field="problem", new=problem.number)  # fmt: skip
    if new:
        emit("incidents_linked", problem, actor, data={"incidents": [i.number for i in new]})
        from plantdesk.problems.known_errors import post_published_workaround

        post_published_workaround(problem, [i.pk for i in new], actor=actor)
    return new


def do_unlink_incident(problem: Problem, number: str, *, actor: User) -> None:
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    with audit.action_transaction():
        locked = lock(problem, actor)
        link = ProblemIncident.objects.filter(problem=locked, incident__number=number).select_related("incident")
        found = link.first()
        if found is None:
            raise NotFound(f"{number} is not linked to {locked.number}.")
        found.delete()
        audit_entry(actor, locked, "incident_unlinked", field="incidents", old=number)
        audit.record(actor=actor, record_type="incident", record_id=found.incident_id, record_label=number,
                     action="problem_unlinked", field="problem", old=locked.number)  # fmt: skip
        emit("incidents_unlinked", locked, actor, data={"incidents": [number]})
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])


def do_resolve_linked_incidents(
    problem: Problem, *, resolution_code: str, resolution_notes: str, actor: User
) -> list[str]:
    """ "Resolve linked incidents" once the fix is in: those on hold awaiting the problem, and only those,
    each through the incident's own transition (SLA clocks, audit and journal as for a resolve by hand).
    One transaction: a resolution one incident refuses resolves none."""
    from plantdesk.incidents.choices import HoldReason
    from plantdesk.incidents.choices import State as IncidentState
    from plantdesk.incidents.fields import check_transition_fields as check_incident_resolution

    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    check_incident_resolution(IncidentState.RESOLVED, hold_reason="", resolution_code=resolution_code,
                              resolution_notes=resolution_notes, reason="")  # fmt: skip
    with audit.action_transaction():
        locked = lock(problem, actor, action="view")
        waiting = (
            restrict(actor, "change", Incident)
            .filter(problem_link__problem=locked, state=IncidentState.ON_HOLD, hold_reason=HoldReason.AWAITING_PROBLEM)
            .order_by("pk")
        )
        resolved = []
        for incident in waiting:
            incident_actions.do_transition_incident(
                incident, IncidentState.RESOLVED, actor=actor, resolution_code=resolution_code,
                resolution_notes=resolution_notes, reason=f"Resolved with problem {locked.number}.",
            )  # fmt: skip
            resolved.append(incident.number)
        if resolved:
            audit_entry(actor, locked, "incidents_resolved", field="incidents", new=", ".join(resolved))
            emit("incidents_resolved", locked, actor, data={"incidents": resolved})
    return resolved


# -- journal ----------------------------------------------------------------------------------------------


def do_add_comment(problem: Problem, body: str, visibility: str, *, actor: User) -> JournalEntry:
    if visibility not in Visibility.values:
        raise InvalidInput.for_field("visibility", "Must be 'public' or 'internal'.")
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    with audit.action_transaction():
        locked = lock(problem, actor, action="view")
        if locked.state in FINAL_STATES:
            raise Conflict(f"{locked.number} is {locked.state}; comments are closed.")
        entry = add_journal_entry(record_type=RECORD_TYPE, record=locked, body=body, visibility=visibility,
                                  actor=actor)  # fmt: skip
        emit("commented", locked, actor, data={"visibility": visibility, "kind": entry.kind, "entry": entry.pk})
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
    return entry
