"""Every write to a change record goes through these functions (ARCHITECTURE rule 1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from plantdesk.accounts.fields import refuse_site_removal
from plantdesk.accounts.lookups import home_site
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import locked_in_scope
from plantdesk.changes import approvals, transitions
from plantdesk.changes.choices import (
    ACTIVE_STATES,
    OT_TASKS,
    ApprovalState,
    ChangeType,
    SignaturePurpose,
    State,
    TaskState,
)
from plantdesk.changes.conflicts import conflicts_of
from plantdesk.changes.fields import AUDITED_FIELDS, PLAN_SIGNED_FIELDS, resolve_fields
from plantdesk.changes.guards import guard_errors
from plantdesk.changes.models import NUMBER_PREFIX, RECORD_TYPE, ChangeCI, ChangeRequest, ChangeTask, Conflict
from plantdesk.changes.record import set_ci_names, signable_values, values_of
from plantdesk.changes.risk import assess_risk
from plantdesk.cmdb.choices import ClassFamily
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import audit, signatures
from plantdesk.core.domain_events import Changes, changes_between, record_event
from plantdesk.core.errors import Conflict as Refused
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput, NotFound
from plantdesk.core.numbering import next_number


def do_create_change(data: Mapping[str, Any], *, actor: User) -> ChangeRequest:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents and change managers raise change requests.")
    if "type" not in data:
        raise InvalidInput.for_field("type", "Required: standard, normal or emergency.")
    values = resolve_fields(data, actor=actor, creating=True)
    template = values.pop("template", None)
    if values["type"] == ChangeType.STANDARD and template is None:
        raise InvalidInput.for_field("template", "A standard change is raised from a standard-change template.")
    if values["type"] != ChangeType.STANDARD and template is not None:
        raise InvalidInput.for_field("template", "Only standard changes come from a template.")
    if values["type"] == ChangeType.STANDARD:
        _refuse_template_fields(values)
    cis: list[ConfigurationItem] = values.pop("cis", None) or []
    ot_tasks = values.pop("ot_tasks", None)
    with audit.action_transaction():
        now = timezone.now()
        change = ChangeRequest(requested_by=actor, opened_at=now, updated_at=now, state=State.NEW, **values)
        if template is not None:
            change.template = template
            for name in ("short_description", "description", "implementation_plan", "backout_plan", "test_plan"):
                if not getattr(change, name):
                    setattr(change, name, getattr(template, name))
        if change.site is None:
            change.site = next((ci.site for ci in cis if ci.site is not None), None) or home_site(actor)
        _derive(change, cis)
        change.number = next_number(NUMBER_PREFIX)
        change.full_clean(exclude=["number", "requested_by", "cis", "caused_incidents"], validate_unique=False)
        change.save(force_insert=True)
        _set_cis(change, cis)
        _audit(actor, change, "created", new=change.number)
        before, after = dict.fromkeys(AUDITED_FIELDS, ""), values_of(change)
        audit.record_changes(actor=actor, obj=change, record_type=RECORD_TYPE, before=before, after=after,
                             action="created")  # fmt: skip
        _emit("created", change, actor, changes_between(before, after))
        wants_ot = ot_tasks if ot_tasks is not None else (
            (template is not None and template.ot_tasks) or any(ci.ci_class.family == ClassFamily.OT for ci in cis)
        )  # fmt: skip
        if wants_ot:
            ChangeTask.objects.bulk_create(
                ChangeTask(change=change, order=i, short_description=text) for i, text in enumerate(OT_TASKS, 1)
            )
        recheck_conflicts(change)
    return change


def do_update_change(
    change: ChangeRequest, data: Mapping[str, Any], *, actor: User, expected_updated_at: datetime | None = None
) -> ChangeRequest:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents and change managers change change requests.")
    values = resolve_fields(data, actor=actor, creating=False)
    if change.type == ChangeType.STANDARD:
        _refuse_template_fields(values)
    with audit.action_transaction():
        locked = lock(change, actor)
        if expected_updated_at is not None and locked.updated_at != expected_updated_at:
            raise Refused("The change was changed by someone else; reload it and try again.")
        if locked.is_final:
            raise Refused(f"{locked.number} is {locked.state}; it cannot be changed.")
        refuse_site_removal(locked.site_id, values, actor=actor)
        before = values_of(locked)
        cis = values.pop("cis", None)
        for name, value in values.items():
            setattr(locked, name, value)
        if cis is not None:
            set_ci_names(locked, [ci.name for ci in cis])
        elif "risk_answers" in values:
            cis = list(ConfigurationItem.objects.filter(change_links__change=locked).select_related("ci_class"))
        if cis is not None:
            _derive(locked, cis)
        after = values_of(locked)
        changed = {name for name in after if before.get(name) != after[name]}
        if not changed:
            return locked
        plan_changed = changed & set(PLAN_SIGNED_FIELDS)
        if plan_changed and locked.state not in transitions.PLAN_EDITABLE:
            fields = ", ".join(sorted(plan_changed))
            raise Refused(
                f"{locked.number} is {locked.state}: the plan is locked from implementation on ({fields}).",
                [FieldError(sorted(plan_changed)[0], "Locked from implementation on.")],
            )
        audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after)
        _emit("updated", locked, actor, changes_between(before, after, changed))
        locked.updated_at = timezone.now()
        locked.save()
        if cis is not None and "cis" in changed:
            _set_cis(locked, cis)
        elif changed & {"planned_start", "planned_end"}:
            ChangeCI.objects.filter(change=locked).update(
                planned_start=locked.planned_start, planned_end=locked.planned_end
            )
        broken = signatures.invalidate_changed(
            record_type=RECORD_TYPE, record_id=locked.pk, record_label=locked.number,
            values_of=lambda: signable_values(locked), changed_fields=changed, actor=actor,
        )  # fmt: skip
        if plan_changed or any(sig.purpose == SignaturePurpose.CONFLICT_OVERRIDE for sig in broken):
            _replan(locked, actor=actor, reason=f"Signed plan changed: {', '.join(sorted(plan_changed))}.")
        if changed & {"cis", "planned_start", "planned_end", "assignee"}:
            recheck_conflicts(locked)
    return locked


# A standard change is pre-approved for its template's exact plan; another plan is a normal change.
TEMPLATE_FIELDS = ("short_description", "implementation_plan", "backout_plan", "test_plan")


def _refuse_template_fields(values: Mapping[str, Any]) -> None:
    given = [name for name in TEMPLATE_FIELDS if values.get(name)]
    if given:
        raise InvalidInput.for_field(
            given[0], "A standard change follows its template's plan; raise a normal change to do something else."
        )


def _replan(change: ChangeRequest, *, actor: User, reason: str) -> None:
    """The plan that approvals and signatures covered changed: they start over, and a change past
    authorisation goes back to be authorised again (Part 11: a signature covers one version)."""
    if change.override_keys:
        change.override_keys, change.override_reason = [], ""
    approvals.withdraw_open(change, actor=actor, reason=reason)
    if change.approval != ApprovalState.NOT_REQUESTED:
        change.approval = ApprovalState.NOT_REQUESTED
        change.approval_level = 0
    send_back(change, actor=actor, reason=reason)
    change.save(update_fields=["override_keys", "override_reason", "approval", "approval_level", "state"])


def send_back(change: ChangeRequest, *, actor: User, reason: str) -> None:
    """Move an authorising or scheduled change back to be re-planned (audited; the caller saves)."""
    back_to = transitions.REPLAN_STATE[change.type]
    if change.state in (State.AUTHORIZE, State.SCHEDULED) and change.state != back_to:
        _audit(actor, change, "transition", field="state", old=change.state, new=back_to, reason=reason)
        _emit("state_changed", change, actor, {"state": {"old": change.state, "new": back_to}}, {"reason": reason})
        change.state = back_to


def do_transition_change(change: ChangeRequest, to: str, *, actor: User, reason: str = "") -> ChangeRequest:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents and change managers move changes.")
    if to not in State.values:
        raise InvalidInput.for_field("to", f"Unknown state {to!r}; use {', '.join(State.values)}.")
    if to == State.CANCELED and not reason.strip():
        raise InvalidInput.for_field("reason", "A reason is required to cancel a change.")
    with audit.action_transaction():
        locked = lock(change, actor)
        if to == locked.state:
            return locked
        allowed = transitions.allowed_next_states(locked.type, locked.state)
        if to not in allowed:
            shown = ", ".join(allowed) or "none"
            raise Refused(
                f"{locked.number} ({locked.type}) cannot go from {locked.state} to {to}; allowed: {shown}.",
                [FieldError("to", f"Not allowed from {locked.state}.")],
                allowed=allowed,
            )
        now = timezone.now()
        found = recheck_conflicts(locked) if to in (State.SCHEDULED, State.IMPLEMENT) else []
        errors = guard_errors(locked, to, now=now, conflicts=found)
        if errors:
            raise Refused(f"{locked.number} cannot go to {to}: " + " ".join(e.message for e in errors), errors)
        return _apply_transition(locked, to, actor=actor, reason=reason.strip(), now=now)


def _apply_transition(locked: ChangeRequest, to: str, *, actor: User, reason: str, now: datetime) -> ChangeRequest:
    old = locked.state
    before = values_of(locked, [*AUDITED_FIELDS, "state", "approval"])
    locked.state = to
    if transitions.is_backward(old, to) or to == State.CANCELED:
        approvals.withdraw_open(locked, actor=actor, reason=reason or f"Back to {to}.")
        locked.approval, locked.approval_level = ApprovalState.NOT_REQUESTED, 0
    if to == State.AUTHORIZE:
        approvals.request_approvals(locked, actor=actor)
    if to == State.IMPLEMENT:
        locked.actual_start = locked.actual_start or now
        if locked.type == ChangeType.EMERGENCY and locked.gxp_relevant:
            hours = settings.CHANGE_EMERGENCY_RETROSPECTIVE_HOURS
            locked.retrospective_due_at = now + timedelta(hours=hours)
    if to == State.REVIEW:
        locked.actual_end = locked.actual_end or now
    if to == State.CLOSED:
        locked.closed_at = now
    if to == State.CANCELED:
        locked.cancel_reason = reason
    locked.updated_at = now
    after = values_of(locked, [*AUDITED_FIELDS, "state", "approval"])
    changed = audit.record_changes(
        actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after, action="transition",
        reason=reason,
    )  # fmt: skip
    _emit("state_changed", locked, actor, changes_between(before, after, changed), {"reason": reason})
    locked.save()
    if (old in ACTIVE_STATES) != (to in ACTIVE_STATES):
        ChangeCI.objects.filter(change=locked).update(active=to in ACTIVE_STATES)
    if to not in ACTIVE_STATES:
        Conflict.objects.filter(change=locked).delete()  # a change that holds no window conflicts with nothing
    return locked


def recheck_conflicts(change: ChangeRequest) -> list[Conflict]:
    """Recompute and store the change's conflicts (on create, on a date / CI / assignee change, and again
    before scheduling and implementation)."""
    found = conflicts_of(change)
    Conflict.objects.filter(change=change).delete()
    rows = Conflict.objects.bulk_create(
        Conflict(
            change=change,
            kind=f.kind,
            detail=f.detail[:500],
            ci_id=f.ci_id,
            window_id=f.window_id,
            other_change_id=f.other_change_id,
            key=f.key[:200],
        )
        for f in found
    )
    change.conflicts_checked_at = timezone.now()
    ChangeRequest.objects.filter(pk=change.pk).update(conflicts_checked_at=change.conflicts_checked_at)
    return rows


def do_update_task(task: ChangeTask, state: str, *, actor: User, notes: str = "") -> ChangeTask:
    if state not in TaskState.values:
        raise InvalidInput.for_field("state", f"Use one of {', '.join(TaskState.values)}.")
    with audit.action_transaction():
        change = lock(task.change, actor)
        if change.state not in (State.SCHEDULED, State.IMPLEMENT):
            raise Refused(f"{change.number} is {change.state}: tasks are worked while scheduled or implementing.")
        locked = ChangeTask.objects.select_for_update().get(pk=task.pk)
        old = locked.state
        locked.state = state
        locked.notes = notes.strip() or locked.notes
        locked.done_at, locked.done_by = (timezone.now(), actor) if state != TaskState.OPEN else (None, None)
        locked.save()
        _audit(actor, change, "task", field=f"task {locked.order}", old=old, new=state, reason=locked.notes)
    return locked


def do_link_caused_incident(change: ChangeRequest, incident_number: str, *, actor: User) -> None:
    from plantdesk.incidents.queries import get_visible as visible_incident

    incident = visible_incident(actor, incident_number) if incident_number else None
    if incident is None:
        raise InvalidInput.for_field("incident", f"Unknown incident {incident_number!r}.")
    with audit.action_transaction():
        locked = lock(change, actor)
        if locked.state in (State.NEW, State.ASSESS, State.AUTHORIZE, State.CANCELED):
            raise Refused(f"{locked.number} has not been implemented; it cannot have caused {incident.number}.")
        locked.caused_incidents.add(incident)
        _audit(actor, locked, "caused_incident", field="caused_incidents", new=incident.number)


def lock(change: ChangeRequest, actor: User, action: str = "change") -> ChangeRequest:
    locked = locked_in_scope(actor, "view" if action == "view" else "change", ChangeRequest, change.pk)
    if locked is None:
        raise NotFound(f"Change {change.number} not found.")
    return locked


def _derive(change: ChangeRequest, cis: list[ConfigurationItem]) -> None:
    """What follows from the CIs: GxP relevance and (for normal and emergency changes) the risk."""
    change.gxp_relevant = any(ci.gxp_relevant for ci in cis)
    if change.type != ChangeType.STANDARD:
        change.risk = assess_risk(change.risk_answers, [ci.criticality for ci in cis])
    elif change.template is not None:
        change.risk = change.template.risk
    set_ci_names(change, [ci.name for ci in cis])


def _set_cis(change: ChangeRequest, cis: list[ConfigurationItem]) -> None:
    ChangeCI.objects.filter(change=change).delete()
    ChangeCI.objects.bulk_create(
        ChangeCI(
            change=change,
            ci=ci,
            planned_start=change.planned_start,
            planned_end=change.planned_end,
            active=change.state in ACTIVE_STATES,
        )
        for ci in cis
    )


def _emit(what: str, change: ChangeRequest, actor: User, changes: Changes, data: dict[str, Any] | None = None) -> None:
    """`change.<what>` for the other apps' consumers (problems fixed by it, notifications, webhooks)."""
    record_event(f"{RECORD_TYPE}.{what}", record_type=RECORD_TYPE, record=change, actor=actor, changes=changes,
                 data=data)  # fmt: skip


def _audit(actor: User, change: ChangeRequest, action: str, **kwargs: Any) -> None:
    audit.record(
        actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number, action=action, **kwargs
    )


def do_check_conflicts(change: ChangeRequest, *, actor: User) -> list[Conflict]:
    with audit.action_transaction():
        locked = lock(change, actor, action="view")
        return recheck_conflicts(locked)
