"""Decisions that are electronic signatures: approvals, QA signatures and conflict overrides.

The password is checked before the action's transaction opens: a wrong one is refused (403) and its
failure stays counted toward the lockout, while the refused action writes nothing.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.accounts.signing import check_signing_password
from plantdesk.changes import approval_records, approvals, transitions
from plantdesk.changes.actions import lock, recheck_conflicts, send_back
from plantdesk.changes.choices import ApprovalState, ChangeType, SignaturePurpose, State
from plantdesk.changes.fields import CLOSE_SIGNED_FIELDS, PLAN_SIGNED_FIELDS
from plantdesk.changes.models import RECORD_TYPE, Approval, ChangeRequest
from plantdesk.changes.queries import CHANGE_AUTHORITIES
from plantdesk.changes.record import values_of
from plantdesk.core import audit, signatures
from plantdesk.core.choices import SignatureMeaning
from plantdesk.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from plantdesk.core.models import Signature

MEANINGS = list(SignatureMeaning.values)

# purpose -> (who may sign, states it may be given in, default meaning, the fields it covers)
QA_PURPOSES: dict[str, tuple[frozenset[str], tuple[str, ...], str, tuple[str, ...]]] = {
    SignaturePurpose.QA_PRE_IMPLEMENT: (
        frozenset({Role.QA}),
        (State.NEW, State.ASSESS, State.AUTHORIZE, State.SCHEDULED),
        SignatureMeaning.QA_APPROVED,
        PLAN_SIGNED_FIELDS,
    ),
    SignaturePurpose.QA_CLOSE: (frozenset({Role.QA}), (State.REVIEW,), SignatureMeaning.VERIFIED, CLOSE_SIGNED_FIELDS),
    SignaturePurpose.QA_RETROSPECTIVE: (
        frozenset({Role.QA}),
        (State.IMPLEMENT, State.REVIEW),
        SignatureMeaning.QA_APPROVED,
        PLAN_SIGNED_FIELDS,
    ),
}


def do_decide_approval(
    approval: Approval,
    decision: str,
    *,
    actor: User,
    comment: str = "",
    password: str | None = None,
    meaning: str | None = None,
    request: HttpRequest | None = None,
) -> Approval:
    if decision not in ("approve", "reject"):
        raise InvalidInput.for_field("decision", "Use approve or reject.")
    if decision == "reject" and not comment.strip():
        noun = "change" if approval.change_id else "request"
        raise InvalidInput.for_field("comment", f"Say why the {noun} is rejected.")
    if approval.approver_id != actor.pk:
        raise Forbidden("This approval is someone else's.")
    # The meaning follows the decision (Part 11.50): a rejection is never signed as an approval.
    decided_meaning = SignatureMeaning.APPROVED if decision == "approve" else SignatureMeaning.REVIEWED
    if meaning and meaning != decided_meaning:
        raise InvalidInput.for_field(
            "meaning", f"A decision to {decision} is signed with the meaning {decided_meaning}."
        )
    if approval.signature_required:
        check_signing_password(actor, password, request)
    if approval.change is None:  # another record app's approval (a request item's)
        decide = approval_records.decider_for(approval.record_type)
        return decide(approval, decision, actor=actor, comment=comment.strip(), meaning=decided_meaning)
    with audit.action_transaction():
        change = lock(approval.change, actor, action="view")
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if locked.state != ApprovalState.REQUESTED or change.state != State.AUTHORIZE:
            raise Conflict(f"This approval of {change.number} is {locked.state}; it cannot be decided now.")
        sig = None
        if locked.signature_required:
            sig = signatures.sign(
                signer=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
                values=values_of(change, PLAN_SIGNED_FIELDS),
                meaning=decided_meaning,
                purpose=SignaturePurpose.APPROVAL, allowed_meanings=MEANINGS,
                comment=f"{decision}: {comment}".strip(": "),
            )  # fmt: skip
        approvals.record_decision(locked, decision, comment, sig)
        audit.record(
            actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
            action="approval", field=f"level {locked.level} {locked.group.name if locked.group else locked.step}",
            new=locked.state, reason=locked.comment,
        )  # fmt: skip
        final = approvals.advance(change, actor=actor)
        fields = ["approval", "approval_level", "updated_at"]
        if final == ApprovalState.REJECTED:
            send_back(change, actor=actor, reason=f"Rejected by {actor.printed_name}: {locked.comment}")
            fields.append("state")
        if final is not None:
            audit.record(
                actor=actor, record_type=RECORD_TYPE, record_id=change.pk, record_label=change.number,
                action="updated", field="approval", old=ApprovalState.REQUESTED, new=final,
            )  # fmt: skip
        change.updated_at = timezone.now()
        change.save(update_fields=fields)
    return locked


def do_sign_change(
    change: ChangeRequest,
    purpose: str,
    *,
    actor: User,
    password: str | None,
    meaning: str | None = None,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Signature:
    """A QA signature: before implementation, at closure, or retrospectively for an emergency change."""
    if purpose not in QA_PURPOSES:
        raise InvalidInput.for_field("purpose", f"Use one of {', '.join(QA_PURPOSES)}.")
    roles, states, default_meaning, fields = QA_PURPOSES[purpose]
    if actor.role not in roles:
        raise Forbidden.for_field("purpose", "Only quality assurance gives this signature.")
    if purpose == SignaturePurpose.QA_RETROSPECTIVE and change.type != ChangeType.EMERGENCY:
        raise InvalidInput.for_field("purpose", "Retrospective QA signatures are for emergency changes.")
    _refuse_own(change, actor, "QA signs")
    check_signing_password(actor, password, request)
    with audit.action_transaction():
        locked = lock(change, actor, action="view")
        if locked.state not in states:
            raise Conflict(f"{locked.number} is {locked.state}; a {purpose} signature is given in {', '.join(states)}.")
        sig = signatures.sign(
            signer=actor, record_type=RECORD_TYPE, record_id=locked.pk, record_label=locked.number,
            values=values_of(locked, fields), meaning=meaning or default_meaning, purpose=purpose,
            allowed_meanings=MEANINGS, comment=comment,
        )  # fmt: skip
        ChangeRequest.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return sig


def do_override_conflicts(
    change: ChangeRequest,
    *,
    actor: User,
    password: str | None,
    reason: str,
    request: HttpRequest | None = None,
) -> Signature:
    """An authorised role accepts the change's current conflicts with a signed reason. The override covers
    those conflicts only: a new one blocks again, and a change to the plan voids it."""
    if actor.role not in CHANGE_AUTHORITIES:
        raise Forbidden("Only change managers sign conflict overrides.")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "Say why the change may go ahead despite its conflicts.")
    _refuse_own(change, actor, "A change manager overrides conflicts")
    check_signing_password(actor, password, request)
    with audit.action_transaction():
        locked = lock(change, actor)
        if locked.state not in transitions.PLAN_EDITABLE:
            raise Conflict(f"{locked.number} is {locked.state}; overrides are signed before implementation.")
        found = recheck_conflicts(locked)
        if not found:
            raise Conflict(f"{locked.number} has no conflicts to override.")
        keys = sorted(c.key for c in found)
        for earlier in Signature.objects.select_for_update().filter(
            record_type=RECORD_TYPE, record_id=locked.pk, purpose=SignaturePurpose.CONFLICT_OVERRIDE, valid=True
        ):
            signatures.invalidate(earlier, reason="Superseded by a new override.", actor=actor)
        values = {**values_of(locked, PLAN_SIGNED_FIELDS), "conflicts": "; ".join(keys)}
        sig = signatures.sign(
            signer=actor, record_type=RECORD_TYPE, record_id=locked.pk, record_label=locked.number, values=values,
            meaning=SignatureMeaning.APPROVED, purpose=SignaturePurpose.CONFLICT_OVERRIDE, allowed_meanings=MEANINGS,
            comment=reason,
        )  # fmt: skip
        locked.override_keys, locked.override_reason = keys, reason.strip()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["override_keys", "override_reason", "updated_at"])
    return sig


def _refuse_own(change: ChangeRequest, actor: User, who: str) -> None:
    """Segregation of duties: nobody signs off their own change."""
    if actor.pk in (change.requested_by_id, change.assignee_id):
        raise Forbidden(f"{who} only on changes they neither requested nor implement.")


def visible_approval(user: User, approval_id: int) -> Approval:
    from plantdesk.accounts.permissions import restrict

    found = restrict(user, "view", Approval).select_related("change", "group").filter(pk=approval_id).first()
    if found is None:
        raise NotFound(f"Approval {approval_id} not found.")
    return found
