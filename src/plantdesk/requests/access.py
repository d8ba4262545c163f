"""Time-boxed access: the grant a fulfilled item gives, its end (at expiry, when the change or incident it
serves is over, or revoked by hand) and the task that removes it from the system."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import locked_in_scope
from plantdesk.changes.choices import State as ChangeState
from plantdesk.changes.models import ChangeRequest
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, NotFound
from plantdesk.core.fields import Errors
from plantdesk.core.journal import add_journal_notes
from plantdesk.core.models import JournalKind, Visibility
from plantdesk.core.numbering import next_numbers
from plantdesk.incidents.choices import OPEN_STATES as INCIDENT_OPEN
from plantdesk.incidents.models import Incident
from plantdesk.requests.choices import GrantState, TaskPurpose
from plantdesk.requests.definitions import from_answers
from plantdesk.requests.models import (
    GRANT_RECORD_TYPE,
    ITEM_RECORD_TYPE,
    TASK_PREFIX,
    TASK_RECORD_TYPE,
    AccessGrant,
    FulfilmentTask,
    RequestItem,
)
from plantdesk.requests.record import audit_entry, emit, required_reason

BATCH = 200
# A change stops serving vendor access once its implementation is over.
CHANGE_OVER = (ChangeState.REVIEW, ChangeState.CLOSED, ChangeState.CANCELED)
REFERENCE = re.compile(r"^(CHG|INC)\d{7}$")


def checked_reference(value: Any, field: str, errors: Errors) -> ChangeRequest | Incident | None:
    """The change or incident that vendor access serves: a number of one still open."""
    number = str(value or "").strip().upper()
    if not REFERENCE.match(number):
        errors.add(field, "Give the number of the change (CHG...) or incident (INC...) this access serves.")
        return None
    if number.startswith("CHG"):
        change = ChangeRequest.objects.filter(number=number).first()
        if change is None or change.state in CHANGE_OVER:
            errors.add(field, f"{number} is not an open change.")
            return None
        return change
    incident = Incident.objects.filter(number=number).first()
    if incident is None or incident.state not in INCIDENT_OPEN:
        errors.add(field, f"{number} is not an open incident.")
        return None
    return incident


def grant_for(item: RequestItem, *, actor: User) -> AccessGrant | None:
    """The grant of a fulfilled item whose catalog version gives access (one per item)."""
    spec = item.version.access
    if not spec:
        return None
    answers = item.answers
    now = timezone.now().replace(microsecond=0)
    days = int(answers.get(spec["days"]) or spec["max_days"]) if spec.get("days") else spec["max_days"]
    expires = now + timedelta(days=min(days, spec["max_days"]))
    system = ConfigurationItem.objects.get(name=from_answers(spec["system"], answers))
    grant = AccessGrant(
        user=item.request.requested_for, system=system, role=from_answers(spec["role"], answers)[:120],
        request_item=item, site=item.site, granted_at=now, expires_at=expires,
    )  # fmt: skip
    if spec.get("reference"):
        errors = Errors()
        served = checked_reference(answers.get(spec["reference"]), "reference", errors)
        if isinstance(served, ChangeRequest):
            grant.reference_change = served
            if served.planned_end and now < served.planned_end < expires:
                grant.expires_at = served.planned_end  # it cannot outlive the change's window
        elif isinstance(served, Incident):
            grant.reference_incident = served
        else:  # the change or incident ended while the item was approved and fulfilled: nothing to grant
            grant.expires_at = now
    grant.save(force_insert=True)
    audit_entry(actor, GRANT_RECORD_TYPE, grant, "created",
                new=f"{grant.role} on {system.name} until {grant.expires_at}")  # fmt: skip
    emit("granted", GRANT_RECORD_TYPE, grant, actor, data={"request_item": item.number})
    return grant


def _ended_references() -> Q:
    return Q(reference_change__state__in=CHANGE_OVER) | (
        Q(reference_incident__isnull=False) & ~Q(reference_incident__state__in=INCIDENT_OPEN)
    )


# What ending a grant reads of it and its relations: a batch loads no more (an incident row is wide).
DUE_FIELDS = (
    "user_id", "system_id", "role", "request_item_id", "site_id", "state", "expires_at", "reference_change_id",
    "reference_incident_id", "system__name", "system__support_group_id", "user__username", "request_item__number",
    "reference_change__number", "reference_incident__number",
)  # fmt: skip
Ending = tuple[AccessGrant, str, str]  # a locked active grant, the state it ends in, why


def expire_due_grants(now: datetime | None = None, batch: int = BATCH) -> int:
    """The worker's job: end grants whose time is up or whose change / incident is over, each with a task
    for the system's support group to remove the access. Several workers share it (SKIP LOCKED); one batch
    is one transaction, so a grant ended in a committed batch is never picked up again."""
    now = now or timezone.now()
    actor = get_system_user()
    with audit.action_transaction():
        due = (
            AccessGrant.objects.filter(state=GrantState.ACTIVE)
            .filter(Q(expires_at__lte=now) | _ended_references())
            .select_related("system", "user", "request_item", "reference_change", "reference_incident")
            .only(*DUE_FIELDS)
            .order_by("expires_at", "id")
            .select_for_update(skip_locked=True, of=("self",))[:batch]
        )
        endings: list[Ending] = []
        for grant in due:
            if grant.expires_at <= now:
                endings.append((grant, GrantState.EXPIRED, "Expired."))
            else:
                served = grant.reference_change or grant.reference_incident
                label = served.number if served is not None else ""
                endings.append((grant, GrantState.REVOKED, f"{label} is over."))
        end_all(endings, actor=actor, now=now)
    return len(endings)


def end(grant: AccessGrant, state: str, reason: str, *, actor: User, now: datetime | None = None) -> FulfilmentTask:
    """End a locked active grant and open the task that removes the access from the system."""
    return end_all([(grant, state, reason)], actor=actor, now=now)[0]


def end_all(endings: list[Ending], *, actor: User, now: datetime | None = None) -> list[FulfilmentTask]:
    """End locked active grants together, each exactly as `end` would (its audit entries, events, revoke task
    with the next TASK number and the note on its item), in a few statements however many there are."""
    if not endings:
        return []
    now = now or timezone.now()
    same_outcome: dict[tuple[str, str], list[int]] = {}
    for grant, state, reason in endings:
        grant.state, grant.ended_at, grant.ended_reason = state, now, reason[:300]
        same_outcome.setdefault((state, grant.ended_reason), []).append(grant.pk)
    for (state, ended_reason), ids in same_outcome.items():
        AccessGrant.objects.filter(pk__in=ids).update(state=state, ended_at=now, ended_reason=ended_reason)
    numbers = next_numbers(TASK_PREFIX, len(endings))
    tasks = [
        FulfilmentTask(
            number=number, request_item=grant.request_item, purpose=TaskPurpose.REVOKE, stage=0, active=True,
            grant=grant, assignment_group_id=grant.system.support_group_id, site_id=grant.site_id,
            short_description=f"Remove {grant.role} on {grant.system.name} for {grant.user.username}"[:160],
            opened_at=now, updated_at=now,
        )
        for number, (grant, _, _) in zip(numbers, endings, strict=True)
    ]  # fmt: skip
    _insert_tasks(tasks)
    notes = []
    for (grant, state, reason), task in zip(endings, tasks, strict=True):
        item = grant.request_item
        audit_entry(actor, GRANT_RECORD_TYPE, grant, "updated", field="state", old=GrantState.ACTIVE, new=state,
                    reason=reason)  # fmt: skip
        emit(state, GRANT_RECORD_TYPE, grant, actor, data={"request_item": item.number})
        audit_entry(actor, TASK_RECORD_TYPE, task, "created", new=task.number)
        emit("created", TASK_RECORD_TYPE, task, actor, data={"request_item": item.number})
        notes.append((item, f"Access {grant.role} on {grant.system.name} {state}: {reason} {task.number} removes it."))
    add_journal_notes(record_type=ITEM_RECORD_TYPE, notes=notes, actor=actor, visibility=Visibility.PUBLIC,
                      kind=JournalKind.NOTE)  # fmt: skip
    return tasks


def _insert_tasks(tasks: list[FulfilmentTask]) -> None:
    if connection.features.can_return_rows_from_bulk_insert:
        FulfilmentTask.objects.bulk_create(tasks)
        return
    for task in tasks:  # the audit entries and events need each task's id
        task.save(force_insert=True)


def do_revoke_grant(grant: AccessGrant, *, actor: User, reason: str) -> AccessGrant:
    """End access before its time (an agent of the grant's site, or an administrator)."""
    reason = required_reason(reason, limit=300, why="Say why the access is revoked.")
    with audit.action_transaction():
        locked = locked_in_scope(actor, "change", AccessGrant, grant.pk)
        if locked is None:
            raise NotFound(f"Access grant {grant.pk} not found.")
        if locked.state != GrantState.ACTIVE:
            raise Conflict(f"This access is already {locked.state}.")
        end(locked, GrantState.REVOKED, reason, actor=actor)
    return locked


def removed(task: FulfilmentTask, *, actor: User) -> None:
    """A revoke task was closed: the access is out of the system."""
    if task.grant_id is None:
        return
    AccessGrant.objects.filter(pk=task.grant_id, removed_at__isnull=True).update(removed_at=task.closed_at)
    grant = AccessGrant.objects.get(pk=task.grant_id)
    audit_entry(actor, GRANT_RECORD_TYPE, grant, "updated", field="removed_at", new=task.closed_at)
