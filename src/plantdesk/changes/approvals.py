"""Approvals by policy (DOMAIN.md section 3): the first matching policy's levels are requested one after
the other; each level is decided by its rule (any / all / percentage) over its group's members."""

from __future__ import annotations

from django.db.models import Max, QuerySet
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.changes.choices import RISK_ORDER, ApprovalRule, ApprovalState
from plantdesk.changes.models import RECORD_TYPE, Approval, ApprovalPolicy, ChangeRequest
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, FieldError
from plantdesk.core.models import Signature

OPEN = (ApprovalState.NOT_REQUESTED, ApprovalState.REQUESTED)


def policy_for(change: ChangeRequest) -> ApprovalPolicy | None:
    risk_rank = RISK_ORDER.index(change.risk) if change.risk in RISK_ORDER else 0
    for policy in ApprovalPolicy.objects.filter(active=True).order_by("order", "id"):
        if policy.change_type and policy.change_type != change.type:
            continue
        if policy.min_risk and risk_rank < RISK_ORDER.index(policy.min_risk):
            continue
        if policy.site_id is not None and policy.site_id != change.site_id:
            continue
        if policy.gxp_only and not change.gxp_relevant:
            continue
        return policy
    return None


def request_approvals(change: ChangeRequest, *, actor: User) -> None:
    """Start a new round: every level's approvers, level 1 requested. Neither the requester nor the assignee
    approves their own change (segregation of duties)."""
    policy = policy_for(change)
    if policy is None:
        raise Conflict(
            f"{change.number}: no approval policy applies; an administrator must configure one.",
            [FieldError("approvals", "No approval policy matches this change's type, risk, site and GxP relevance.")],
        )
    withdraw_open(change, actor=actor, reason="A new approval round started.")
    last_round = change.approvals.aggregate(m=Max("round"))["m"] or 0
    rows: list[Approval] = []
    for level in policy.levels.select_related("group").order_by("level"):
        members = level.group.members.filter(is_active=True, is_integration=False).exclude(
            pk__in=[change.requested_by_id, change.assignee_id or 0]
        )
        approvers = [m for m in members.order_by("username") if m.is_fulfiller]
        if not approvers:
            raise Conflict(
                f"{change.number}: approval group {level.group.name} has nobody who may approve this change.",
                [FieldError("approvals", f"Group {level.group.name} has no eligible approver.")],
            )
        first = not rows
        state = ApprovalState.REQUESTED if first else ApprovalState.NOT_REQUESTED
        signed = level.signature_required or change.gxp_relevant  # GxP approvals are e-signatures
        rows += [
            Approval(
                change=change,
                level=level.level,
                group=level.group,
                rule=level.rule,
                percentage=level.percentage,
                signature_required=signed,
                approver=approver,
                state=state,
                round=last_round + 1,
            )
            for approver in approvers
        ]
    if not rows:
        detail = f"{change.number}: policy {policy.name} has no levels."
        raise Conflict(detail, [FieldError("approvals", "The approval policy has no levels.")])
    Approval.objects.bulk_create(rows)
    change.approval = ApprovalState.REQUESTED
    change.approval_level = min(r.level for r in rows)
    audit.record(
        actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
        action="approvals_requested", new=f"{policy.name}: round {last_round + 1}, {len(rows)} approver(s)",
    )  # fmt: skip


def withdraw_open(change: ChangeRequest, *, actor: User, reason: str) -> int:
    """Approvals still open are no longer required (the change went back, was canceled or replanned)."""
    count = change.approvals.filter(state__in=OPEN).update(state=ApprovalState.NOT_REQUIRED, decided_at=timezone.now())
    if count:
        audit.record(
            actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
            action="approvals_withdrawn", new=str(count), reason=reason,
        )  # fmt: skip
    return count


def level_outcome(rule: str, percentage: int, states: list[str]) -> str | None:
    """approved / rejected once the level is decided under its rule, else None (still open)."""
    approved = states.count(ApprovalState.APPROVED)
    rejected = states.count(ApprovalState.REJECTED)
    total = len(states)
    if rule == ApprovalRule.ANY:  # the first answer decides
        return ApprovalState.APPROVED if approved else ApprovalState.REJECTED if rejected else None
    if rule == ApprovalRule.ALL:
        return ApprovalState.REJECTED if rejected else ApprovalState.APPROVED if approved == total else None
    needed = -(-total * percentage // 100)  # ceiling: 50 % of 3 members needs 2
    if approved >= max(needed, 1):
        return ApprovalState.APPROVED
    if total - rejected < needed:
        return ApprovalState.REJECTED
    return None


def record_decision(locked: Approval, decision: str, comment: str, signature: Signature | None) -> None:
    """Write an approver's decision on a locked approval (the caller audits it and settles the level)."""
    locked.state = ApprovalState.APPROVED if decision == "approve" else ApprovalState.REJECTED
    locked.comment, locked.decided_at, locked.signature = comment.strip(), timezone.now(), signature
    locked.save(update_fields=["state", "comment", "decided_at", "signature"])


def settle_level(rows: QuerySet[Approval], level: int) -> tuple[str | None, int | None]:
    """After a decision on `rows` (one record's approvals) at `level`: (final outcome, None) once the record's
    approval is decided, (None, next level) when the next level was requested, (None, None) while open."""
    current = list(rows.filter(level=level).exclude(state=ApprovalState.NOT_REQUIRED))
    current = [a for a in current if a.round == max(x.round for x in current)] if current else []
    if not current:
        return None, None
    outcome = level_outcome(current[0].rule, current[0].percentage, [a.state for a in current])
    if outcome is None:
        return None, None
    round_ = current[0].round
    still_open = [a.pk for a in current if a.state == ApprovalState.REQUESTED]
    Approval.objects.filter(pk__in=still_open).update(state=ApprovalState.NOT_REQUIRED, decided_at=timezone.now())
    if outcome == ApprovalState.REJECTED:
        rows.filter(round=round_, state__in=OPEN).update(state=ApprovalState.NOT_REQUIRED)
        return ApprovalState.REJECTED, None
    later = rows.filter(round=round_, level__gt=level, state=ApprovalState.NOT_REQUESTED)
    next_level = later.order_by("level").values_list("level", flat=True).first()
    if next_level is None:
        return ApprovalState.APPROVED, None
    later.filter(level=next_level).update(state=ApprovalState.REQUESTED)
    return None, next_level


def advance(change: ChangeRequest, *, actor: User) -> str | None:
    """After a decision: settle the current level and request the next. Returns the change's approval
    state when it became final (approved or rejected), else None."""
    final, next_level = settle_level(change.approvals.all(), change.approval_level)
    if final is not None:
        change.approval = final
        return final
    if next_level is None:
        return None
    change.approval_level = next_level
    audit.record(
        actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
        action="approval_level", field="approval_level", new=str(next_level),
    )  # fmt: skip
    return None
