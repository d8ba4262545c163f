"""What each move of a change requires (CONTRACT.md section 7, DOMAIN.md sections 3 and 8). Every guard
that fails is reported, so the 409 lists all that is missing at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from plantdesk.changes.choices import ApprovalState, ChangeType, SignaturePurpose, State, TaskState, ValidationImpact
from plantdesk.changes.models import ChangeRequest, Conflict
from plantdesk.changes.record import ci_names, valid_signatures
from plantdesk.changes.transitions import PLANS_NEEDED_FOR, PROGRESS
from plantdesk.core.errors import FieldError

# The states whose entry needs complete plans, per type: the first step toward authorisation and every later one.
FORWARD_FROM = {
    change_type: frozenset(PROGRESS[PROGRESS.index(State(first)) : PROGRESS.index(State.IMPLEMENT) + 1])
    for change_type, first in PLANS_NEEDED_FOR.items()
}


def guard_errors(change: ChangeRequest, to: str, *, now: datetime, conflicts: list[Conflict]) -> list[FieldError]:
    errors: list[FieldError] = []
    # Checked on every forward move from the first on: plans, CIs and dates emptied later must not slip through.
    if to in FORWARD_FROM[change.type]:
        errors += _plans(change)
    if to == State.AUTHORIZE and change.type == ChangeType.NORMAL:
        errors += _assessment(change, now)
    if to == State.SCHEDULED and change.type != ChangeType.STANDARD and change.approval != ApprovalState.APPROVED:
        errors.append(FieldError("approvals", f"The change is not approved (approval: {change.approval})."))
    if to in (State.SCHEDULED, State.IMPLEMENT):
        errors += _conflicts(change, conflicts)
    if to == State.IMPLEMENT and change.gxp_relevant:
        errors += _validation(change)
        if change.type != ChangeType.EMERGENCY and not valid_signatures(change, SignaturePurpose.QA_PRE_IMPLEMENT):
            errors.append(FieldError("qa_signature", "A GxP change needs a valid QA signature before implementation."))
    if to == State.REVIEW:
        open_tasks = [t.short_description for t in change.tasks.all() if t.state == TaskState.OPEN]
        if open_tasks:
            errors.append(FieldError("tasks", f"Open change tasks: {'; '.join(open_tasks)}."))
    if to == State.CLOSED:
        errors += _closure(change)
    return errors


def _plans(change: ChangeRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    for name in ("implementation_plan", "backout_plan", "test_plan"):
        if not getattr(change, name).strip():
            errors.append(FieldError(name, "Required before the change goes further."))
    if not ci_names(change):
        errors.append(FieldError("cis", "Name at least one affected configuration item."))
    if change.planned_start is None or change.planned_end is None:
        errors.append(FieldError("planned_start", "Plan the start and the end."))
    return errors


def _assessment(change: ChangeRequest, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    if not change.risk_answers:
        errors.append(FieldError("risk_answers", "Answer the risk questionnaire."))
    if not change.justification.strip():
        errors.append(FieldError("justification", "Say why the change is needed."))
    if change.gxp_relevant:
        errors += _validation(change)
    lead = timedelta(days=settings.CHANGE_CAB_LEAD_DAYS)
    if change.planned_start is not None and change.planned_start < now + lead:
        errors.append(
            FieldError("planned_start", f"A normal change starts at least {lead.days} days after it goes to the CAB.")
        )
    return errors


def _validation(change: ChangeRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    if not change.validation_impact:
        errors.append(FieldError("validation_impact", "A GxP change needs a validation impact assessment."))
    elif change.validation_impact != ValidationImpact.NONE and not change.qms_change_control_ref.strip():
        errors.append(FieldError("qms_change_control_ref", "Give the QMS change-control reference."))
    return errors


def _conflicts(change: ChangeRequest, conflicts: list[Conflict]) -> list[FieldError]:
    unresolved = [c for c in conflicts if c.key not in change.override_keys]
    if not unresolved:
        return []
    shown = "; ".join(c.detail for c in unresolved[:5]) + ("; ..." if len(unresolved) > 5 else "")
    return [FieldError("conflicts", f"{len(unresolved)} unresolved conflict(s) without a signed override: {shown}")]


def _closure(change: ChangeRequest) -> list[FieldError]:
    errors: list[FieldError] = []
    if not change.review_outcome:
        errors.append(FieldError("review_outcome", "Record the post-implementation review outcome."))
    if not change.gxp_relevant:
        return errors
    if not change.verification_evidence.strip():
        errors.append(FieldError("verification_evidence", "A GxP change needs verification evidence."))
    if not valid_signatures(change, SignaturePurpose.QA_CLOSE):
        errors.append(FieldError("qa_signature", "A GxP change needs a valid QA verification signature to close."))
    if change.type == ChangeType.EMERGENCY and change.retrospective_due_at is not None:
        if not valid_signatures(change, SignaturePurpose.QA_RETROSPECTIVE):
            errors.append(FieldError("qa_signature", "The emergency change needs its retrospective QA signature."))
        if not change.deviation_ref.strip():
            errors.append(FieldError("deviation_ref", "The emergency GxP change needs a deviation reference."))
    return errors
