"""Changes, approvals, conflicts, tasks and signatures as the API returns them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantdesk.changes.models import Approval, ChangeRequest, ChangeTask
from plantdesk.core.models import Signature
from plantdesk.core.signatures import manifestation


def _name(obj: Any, attr: str = "name") -> str | None:
    return getattr(obj, attr) if obj is not None else None


def change_to_dict(change: ChangeRequest) -> dict[str, Any]:
    """Expects `site`, `requested_by`, `assignment_group`, `assignee`, `template` and `ci_links__ci` loaded
    (queries.with_related) so that a list costs the same few queries whatever its length."""
    return {
        "number": change.number,
        "type": change.type,
        "state": change.state,
        "template": _name(change.template),
        "short_description": change.short_description,
        "description": change.description,
        "justification": change.justification,
        "implementation_plan": change.implementation_plan,
        "backout_plan": change.backout_plan,
        "test_plan": change.test_plan,
        "cis": sorted(link.ci.name for link in change.ci_links.all()),
        "site": _name(change.site, "code"),
        "requested_by": _name(change.requested_by, "username"),
        "assignment_group": _name(change.assignment_group),
        "assignee": _name(change.assignee, "username"),
        "risk": change.risk,
        "risk_answers": change.risk_answers,
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "actual_start": change.actual_start,
        "actual_end": change.actual_end,
        "gxp_relevant": change.gxp_relevant,
        "validation_impact": change.validation_impact,
        "validation_specs_affected": change.validation_specs_affected,
        "validation_retest_scope": change.validation_retest_scope,
        "validation_data_migration": change.validation_data_migration,
        "validation_part11_affected": change.validation_part11_affected,
        "qms_change_control_ref": change.qms_change_control_ref,
        "verification_evidence": change.verification_evidence,
        "deviation_ref": change.deviation_ref,
        "retrospective_due_at": change.retrospective_due_at,
        "approval": change.approval,
        "approval_level": change.approval_level,
        "conflicts_checked_at": change.conflicts_checked_at,
        "override_reason": change.override_reason,
        "review_outcome": change.review_outcome,
        "review_notes": change.review_notes,
        "cancel_reason": change.cancel_reason,
        "opened_at": change.opened_at,
        "updated_at": change.updated_at,
        "closed_at": change.closed_at,
    }


def changes_to_dicts(changes: Iterable[ChangeRequest]) -> list[dict[str, Any]]:
    return [change_to_dict(c) for c in changes]


def approval_to_dict(approval: Approval) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "record": approval.record,
        "record_type": approval.record_type,
        "change": approval.change.number if approval.change is not None else None,
        "round": approval.round,
        "level": approval.level,
        "step": approval.step or (f"group:{approval.group.name}" if approval.group is not None else ""),
        "group": approval.group.name if approval.group is not None else None,
        "rule": approval.rule,
        "percentage": approval.percentage,
        "approver": approval.approver.username,
        "approver_name": approval.approver.printed_name,
        "state": approval.state,
        "comment": approval.comment,
        "decided_at": approval.decided_at,
        "signature_required": approval.signature_required,
        "signature": signature_to_dict(approval.signature) if approval.signature is not None else None,
    }


def signature_to_dict(sig: Signature) -> dict[str, Any]:
    return {
        "id": sig.pk,
        "username": sig.username,
        "printed_name": sig.printed_name,
        "meaning": sig.meaning,
        "purpose": sig.purpose,
        "signed_at": sig.signed_at,
        "record_hash": sig.record_hash,
        "valid": sig.valid,
        "invalidated_at": sig.invalidated_at,
        "invalidated_reason": sig.invalidated_reason,
        "comment": sig.comment,
        "manifestation": manifestation(sig),
    }


def task_to_dict(task: ChangeTask) -> dict[str, Any]:
    return {
        "id": task.pk,
        "order": task.order,
        "short_description": task.short_description,
        "state": task.state,
        "notes": task.notes,
        "done_at": task.done_at,
        "done_by": task.done_by.username if task.done_by is not None else None,
    }
