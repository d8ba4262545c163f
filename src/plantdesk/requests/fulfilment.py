"""Fulfilment: the item's tasks from its template, worked stage by stage (a stage's tasks in parallel, the
next stage once every task of this one is closed); the item is fulfilled when its last stage closes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from plantdesk.accounts.lookups import active_user, group_named
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import locked_in_scope
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from plantdesk.core.numbering import next_number
from plantdesk.requests import access, transitions
from plantdesk.requests.choices import TASK_CLOSED, ItemState, TaskPurpose, TaskState
from plantdesk.requests.items import lock_item, roll_up, set_item_state
from plantdesk.requests.models import ITEM_RECORD_TYPE, TASK_PREFIX, TASK_RECORD_TYPE, FulfilmentTask, RequestItem
from plantdesk.requests.record import audit_entry, emit, note, state_change

AGENTS_ONLY = "Fulfilment tasks are worked by agents."


def start(item: RequestItem, *, actor: User) -> None:
    """An approved item (locked): create every task of its template, open the first stage's; an item
    without tasks is fulfilled at once."""
    template = item.version.tasks
    if not template:
        complete(item, actor=actor)
        return
    now = timezone.now()
    first = min(t["stage"] for t in template)
    groups = {t["assignment_group"]: group_named(t["assignment_group"]) for t in template}
    tasks = [
        FulfilmentTask(
            number=next_number(TASK_PREFIX), request_item=item, stage=t["stage"], active=t["stage"] == first,
            short_description=t["short_description"], assignment_group=groups[t["assignment_group"]],
            site=item.site, opened_at=now, updated_at=now,
        )
        for t in template
    ]  # fmt: skip
    FulfilmentTask.objects.bulk_create(tasks)
    for task in tasks:
        audit_entry(actor, TASK_RECORD_TYPE, task, "created", new=task.number)
    item.stage = first
    item.assignment_group = next(t.assignment_group for t in tasks if t.active)
    set_item_state(item, ItemState.IN_FULFILMENT, actor=actor)
    _announce_stage(item, [t for t in tasks if t.active], actor=actor)


def complete(item: RequestItem, *, actor: User) -> None:
    """The last stage closed (or there was none): the item is fulfilled and its access granted."""
    set_item_state(item, ItemState.FULFILLED, actor=actor)
    grant = access.grant_for(item, actor=actor)
    text = (
        f"Fulfilled. Access: {grant.role} on {grant.system.name} until {grant.expires_at:%Y-%m-%d %H:%M} UTC."
        if grant is not None
        else "Fulfilled."
    )
    note(ITEM_RECORD_TYPE, item, text, actor=actor, public=True)


def _announce_stage(item: RequestItem, tasks: list[FulfilmentTask], *, actor: User) -> None:
    numbers = ", ".join(t.number for t in tasks)
    note(ITEM_RECORD_TYPE, item, f"Stage {item.stage} started: {numbers}.", actor=actor)
    for task in tasks:
        emit("created", TASK_RECORD_TYPE, task, actor, data={"request_item": item.number})


def lock_task(task: FulfilmentTask, actor: User) -> FulfilmentTask:
    locked = locked_in_scope(actor, "change", FulfilmentTask, task.pk)
    if locked is None:
        raise NotFound(f"Task {task.number} not found.")
    return locked


def do_transition_task(task: FulfilmentTask, to: str, *, actor: User, notes: str = "") -> FulfilmentTask:
    """Work a task: in progress (taken by the actor when nobody has it), closed complete, or closed skipped
    (with a note saying why). A task of a stage not yet reached is refused (409): stages run in order."""
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    if to not in TaskState.values:
        raise InvalidInput.for_field("to", f"Use one of {', '.join(sorted(TaskState.values))}.")
    notes = notes.strip()
    if len(notes) > 4000:
        raise InvalidInput.for_field("notes", "At most 4000 characters.")
    if to == TaskState.CLOSED_SKIPPED and not notes:
        raise InvalidInput.for_field("notes", "Say why the task is skipped.")
    with audit.action_transaction():
        item, request = lock_item(task.request_item_id)
        locked = lock_task(task, actor)
        if not locked.active:
            raise Conflict(f"{locked.number} belongs to stage {locked.stage}, which has not started: "
                           f"stage {item.stage} is being worked.", allowed=[])  # fmt: skip
        allowed = sorted(transitions.TASK_ALLOWED[locked.state])
        if to not in allowed:
            raise Conflict(f"{locked.number} is {locked.state}; it cannot become {to}.", allowed=allowed)
        old, now = locked.state, timezone.now()
        locked.state, locked.updated_at = to, now
        if to == TaskState.IN_PROGRESS and locked.assignee_id is None:
            locked.assignee = actor
            audit_entry(actor, TASK_RECORD_TYPE, locked, "updated", field="assignee", new=actor.username)
        if to in TASK_CLOSED:
            locked.closed_at, locked.closed_by, locked.close_notes = now, actor, notes
        locked.save()
        state_change(actor, TASK_RECORD_TYPE, locked, old, to, notes)
        if to in TASK_CLOSED:
            note(ITEM_RECORD_TYPE, item, f"{locked.number} {locked.get_state_display().lower()} by "
                 f"{actor.printed_name}{': ' + notes if notes else ''}.", actor=actor)  # fmt: skip
            _after_close(locked, item, actor=actor)
        roll_up(request, actor=actor)
    return locked


def _after_close(task: FulfilmentTask, item: RequestItem, *, actor: User) -> None:
    if task.purpose == TaskPurpose.REVOKE:
        access.removed(task, actor=actor)
        return
    if FulfilmentTask.objects.filter(request_item=item, purpose=TaskPurpose.FULFIL, active=True)\
            .exclude(state__in=TASK_CLOSED).exists():  # fmt: skip
        return  # the stage's other tasks are still being worked
    later = FulfilmentTask.objects.filter(request_item=item, purpose=TaskPurpose.FULFIL, active=False)
    next_stage = later.order_by("stage").values_list("stage", flat=True).first()
    if next_stage is None:
        complete(item, actor=actor)
        return
    opened = list(later.filter(stage=next_stage).select_related("assignment_group"))
    FulfilmentTask.objects.filter(pk__in=[t.pk for t in opened]).update(active=True, updated_at=timezone.now())
    audit_entry(actor, ITEM_RECORD_TYPE, item, "updated", field="stage", old=item.stage, new=next_stage)
    item.stage, item.assignment_group = next_stage, opened[0].assignment_group
    item.updated_at = timezone.now()
    item.save(update_fields=["stage", "assignment_group", "updated_at"])
    _announce_stage(item, opened, actor=actor)


TASK_EDITABLE = frozenset({"assignee", "assignment_group"})


def do_update_task(task: FulfilmentTask, data: Mapping[str, Any], *, actor: User) -> FulfilmentTask:
    """Assign an open task to a group or person (a person of the task's group)."""
    if not actor.is_fulfiller:
        raise Forbidden(AGENTS_ONLY)
    unknown = sorted(set(data) - TASK_EDITABLE)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "This field cannot be changed here.")
    with audit.action_transaction():
        locked = lock_task(task, actor)
        if locked.state in TASK_CLOSED:
            raise Conflict(f"{locked.number} is closed; it cannot be changed.")
        if "assignment_group" in data:
            group = group_named(str(data["assignment_group"] or ""))
            if group is None:
                raise InvalidInput.for_field("assignment_group", f"Unknown group: {data['assignment_group']}.")
            if group.pk != locked.assignment_group_id:
                audit_entry(
                    actor,
                    TASK_RECORD_TYPE,
                    locked,
                    "updated",
                    field="assignment_group",
                    old=locked.assignment_group.name if locked.assignment_group else "",
                    new=group.name,
                )
                locked.assignment_group, locked.assignee = group, None
        if "assignee" in data:
            name = data["assignee"]
            person = active_user(str(name)) if name else None
            if name and (person is None or not person.is_fulfiller):
                raise InvalidInput.for_field("assignee", f"Unknown agent: {name}.")
            if person is not None and locked.assignment_group_id is not None and not \
                    person.assignment_groups.filter(pk=locked.assignment_group_id).exists():  # fmt: skip
                raise InvalidInput.for_field("assignee", f"{person.username} is not in {locked.assignment_group}.")
            old = locked.assignee.username if locked.assignee else ""
            if (person.username if person else "") != old:
                audit_entry(actor, TASK_RECORD_TYPE, locked, "updated", field="assignee", old=old,
                            new=person.username if person else "")  # fmt: skip
            locked.assignee = person
        locked.updated_at = timezone.now()
        locked.save()
        emit("updated", TASK_RECORD_TYPE, locked, actor)
    return locked
