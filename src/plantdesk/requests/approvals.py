"""A request item's approvals: who is asked at each step (planned when the order is placed, so that an
order nobody could approve is refused at once), and carrying out a decision.

The steps run in order; each is one level of the shared approvals table (`changes.Approval`), decided by
any one of its approvers. A GxP item's QA step needs the approver's e-signature."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from plantdesk.accounts.choices import Role
from plantdesk.accounts.lookups import group_named
from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.changes.approvals import record_decision, settle_level
from plantdesk.changes.choices import ApprovalRule, ApprovalState, SignaturePurpose
from plantdesk.changes.models import Approval
from plantdesk.core import audit, signatures
from plantdesk.core.choices import SignatureMeaning
from plantdesk.core.errors import Conflict
from plantdesk.core.fields import Errors
from plantdesk.requests import definitions, fulfilment
from plantdesk.requests.choices import ItemState
from plantdesk.requests.items import lock_item, roll_up, set_item_state
from plantdesk.requests.models import ITEM_RECORD_TYPE, RequestItem
from plantdesk.requests.record import audit_entry, note

MAX_APPROVERS = 50  # a group or QA step asks at most this many people


@dataclass(frozen=True)
class Step:
    name: str  # "manager", "qa", "group:MES Admins"
    approvers: list[User]
    group: AssignmentGroup | None = None


def plan(
    steps: list[str], *, requested_for: User, requested_by: User, site: Site | None, errors: Errors, at: str
) -> list[Step]:
    """The approvers of each step; a step nobody can decide is an error (on `requested_for` for a missing
    manager, else on `at`, the item)."""
    planned: list[Step] = []
    parties = {requested_for.pk, requested_by.pk}
    people = User.objects.filter(is_active=True, is_integration=False)
    for step in steps:
        if step == definitions.MANAGER:
            manager = requested_for.manager
            if manager is None or not manager.is_active:
                errors.add("requested_for", f"{requested_for.username} has no manager to approve this.")
                continue
            planned.append(Step(step, [manager]))
        elif step == definitions.QA:
            qa = people.filter(role=Role.QA).exclude(pk__in=parties)
            if site is not None:
                qa = qa.filter(Q(sites=site))
            found = list(qa.order_by("username")[:MAX_APPROVERS])
            if not found:
                errors.add(at, "No one in quality assurance can approve this for the site.")
            planned.append(Step(step, found))
        else:
            group = group_named(step[len(definitions.GROUP_PREFIX) :])
            members = list(people.filter(assignment_groups=group).exclude(pk=requested_for.pk)
                           .order_by("username")[:MAX_APPROVERS]) if group else []  # fmt: skip
            if not members:
                errors.add(at, f"No one in {step[len(definitions.GROUP_PREFIX) :]} can approve this.")
            planned.append(Step(step, members, group))
    return planned


def request_approvals(item: RequestItem, steps: list[Step], *, gxp: bool) -> list[Approval]:
    """Write the item's approval rows: the first step requested, the later ones waiting their turn."""
    rows = [
        Approval(
            change=None, record_type=ITEM_RECORD_TYPE, record_id=item.pk, record_label=item.number, level=level,
            step=step.name, group=step.group, rule=ApprovalRule.ANY, approver=approver,
            signature_required=gxp and step.name == definitions.QA,
            state=ApprovalState.REQUESTED if level == 1 else ApprovalState.NOT_REQUESTED,
        )
        for level, step in enumerate(steps, start=1)
        for approver in step.approvers
    ]  # fmt: skip
    return Approval.objects.bulk_create(rows)


def item_approvals(item: RequestItem) -> list[Approval]:
    rows = Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id=item.pk)
    return list(rows.select_related("approver", "group", "signature").order_by("level", "id"))


def decide(approval: Approval, decision: str, *, actor: User, comment: str, meaning: str) -> Approval:
    """Carry out an approver's decision on a request item (registered with the approvals of `changes`):
    the next step is asked, or the item is approved (fulfilment starts) or rejected (the requester is told)."""
    with audit.action_transaction():
        item, request = lock_item(int(approval.record_id or 0))
        locked = Approval.objects.select_for_update().get(pk=approval.pk)
        if locked.state != ApprovalState.REQUESTED or item.state != ItemState.PENDING_APPROVAL:
            raise Conflict(f"This approval of {item.number} is {locked.state}; it cannot be decided now.")
        sig = None
        if locked.signature_required:
            sig = signatures.sign(
                signer=actor, record_type=ITEM_RECORD_TYPE, record_id=item.pk, record_label=item.number,
                values=signed_values(item), meaning=meaning, purpose=SignaturePurpose.APPROVAL,
                allowed_meanings=[SignatureMeaning.APPROVED, SignatureMeaning.REVIEWED],
                comment=f"{decision}: {comment}".strip(": "),
            )  # fmt: skip
        record_decision(locked, decision, comment, sig)
        audit_entry(actor, ITEM_RECORD_TYPE, item, "approval", field=f"level {locked.level} {locked.step}",
                    new=locked.state, reason=comment)  # fmt: skip
        rows = Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id=item.pk)
        final, next_level = settle_level(rows, item.approval_level)
        if final == ApprovalState.APPROVED:
            set_item_state(item, ItemState.APPROVED, actor=actor)
            fulfilment.start(item, actor=actor)
        elif final == ApprovalState.REJECTED:
            item.rejection_reason = comment
            set_item_state(item, ItemState.REJECTED, actor=actor, reason=comment)
            note(ITEM_RECORD_TYPE, item, f"Rejected by {actor.printed_name}: {comment}", actor=actor, public=True)
        elif next_level is not None:
            audit_entry(actor, ITEM_RECORD_TYPE, item, "updated", field="approval_level",
                        old=item.approval_level, new=next_level)  # fmt: skip
            item.approval_level = next_level
            item.save(update_fields=["approval_level"])
        roll_up(request, actor=actor)
    return locked


def signed_values(item: RequestItem) -> dict[str, str]:
    """What a QA signature on an item covers: who gets what, as asked (Part 11.70: linked to the record)."""
    return signatures.as_values({
        "number": item.number, "catalog_item": item.catalog_item.name, "version": item.version.version,
        "requested_for": item.request.requested_for.username, "answers": item.answers,
        "quantity": item.quantity,
    })  # fmt: skip
