"""Every write to an incident goes through these functions (ARCHITECTURE rule 1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from plantdesk.accounts.fields import refuse_site_removal
from plantdesk.accounts.lookups import group_named, home_site, site_coded
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import locked_in_scope, restrict
from plantdesk.core import audit
from plantdesk.core.choices import is_active_option
from plantdesk.core.domain_events import Changes, changes_between, record_event
from plantdesk.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from plantdesk.core.journal import add_journal_entries, add_journal_entry
from plantdesk.core.models import JournalEntry, JournalKind, Visibility
from plantdesk.core.numbering import next_number
from plantdesk.incidents import transitions
from plantdesk.incidents.choices import CATEGORY_SET, HoldReason, Source, State
from plantdesk.incidents.fields import (
    AUDITED_FIELDS,
    CALLER_EDITABLE_ON_CREATE,
    EDITABLE_FIELDS,
    drop_assignee_outside_group,
    resolve_assignment,
    resolve_fields,
)
from plantdesk.incidents.models import NUMBER_PREFIX, RECORD_TYPE, AssignmentRule, Incident
from plantdesk.incidents.priority import priority_for
from plantdesk.slas.clocks import sync_clocks


def do_create_incident(data: Mapping[str, Any], *, actor: User, opened_at: datetime | None = None) -> Incident:
    """Create an incident from API-level values (names, usernames, numbers) and audit its fields.

    `opened_at` is for sources that carry their own time (events, imports); it defaults to now.
    """
    if data.get("caller") in (None, ""):  # omitted, null or empty: the person raising it (as documented)
        data = {name: value for name, value in data.items() if name != "caller"}
    if not actor.is_fulfiller:
        refused = sorted(set(data) - CALLER_EDITABLE_ON_CREATE - {"source"})
        if refused:
            raise Forbidden.for_field(refused[0], "A requester cannot set this field.")
        source = data.get("source", Source.PORTAL)
        if source not in (Source.PORTAL, Source.API):  # the channels a requester raises through themselves
            raise Forbidden.for_field("source", "A requester raises incidents through the portal or the API.")
        data = {**data, "caller": actor.username, "source": source}
    if not str(data.get("short_description") or "").strip():
        raise InvalidInput.for_field("short_description", "This field is required.")
    values = resolve_fields(data, actor=actor, creating=True)
    values.setdefault("caller", actor)
    with audit.action_transaction():
        now = timezone.now()
        incident = Incident(opened_by=actor, opened_at=opened_at or now, updated_at=now, state=State.NEW, **values)
        if incident.site is None:  # where it broke, else where the caller works
            incident.site = incident.ci.site if incident.ci is not None and incident.ci.site else None
            incident.site = incident.site or home_site(incident.caller)
        resolve_assignment(incident)
        incident.priority = priority_for(incident.impact, incident.urgency)
        incident.number = next_number(NUMBER_PREFIX)
        incident.save(force_insert=True)
        _audit(actor, incident, "created", new=incident.number)
        before, after = audit.default_snapshot(Incident, AUDITED_FIELDS), audit.snapshot(incident, AUDITED_FIELDS)
        audit.record_changes(actor=actor, obj=incident, record_type=RECORD_TYPE, before=before, after=after,
                             action="created")  # fmt: skip
        _emit("created", incident, actor, changes_between(before, after))
        sync_clocks(incident, record_type=RECORD_TYPE, actor=actor, now=min(incident.opened_at, now), created=True)
    return incident


def do_update_incident(
    incident: Incident,
    data: Mapping[str, Any],
    *,
    actor: User,
    expected_updated_at: datetime | None = None,
) -> Incident:
    """Change fields (never the state). `expected_updated_at` refuses a stale edit with 409."""
    unknown = sorted(set(data) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "This field cannot be changed here.")
    if not actor.is_fulfiller:
        raise Forbidden("Only agents can change incident fields; add a comment instead.")
    if incident.ci is not None and data.get("ci") in (incident.ci.name, incident.ci_id):
        # A client sending the record back unchanged keeps its CI, even one retired since.
        data = {k: v for k, v in data.items() if k != "ci"}
    values = resolve_fields(data, actor=actor, creating=False)
    with audit.action_transaction():
        locked = _lock(incident, actor)
        if expected_updated_at is not None and locked.updated_at != expected_updated_at:
            raise Conflict("The incident was changed by someone else; reload it and try again.")
        if locked.state in (State.CLOSED, State.CANCELED):
            raise Conflict(f"A {locked.get_state_display().lower()} incident cannot be changed.")
        refuse_site_removal(locked.site_id, values, actor=actor)
        before = audit.snapshot(locked, AUDITED_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        drop_assignee_outside_group(locked, values)
        resolve_assignment(locked, validate_only=True)
        locked.priority = priority_for(locked.impact, locked.urgency)
        after = audit.snapshot(locked, AUDITED_FIELDS)
        changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after)
        if not changed:
            return locked
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*_model_fields(changed), "updated_at"])
        sync_clocks(locked, record_type=RECORD_TYPE, actor=actor)
        _emit("updated", locked, actor, changes_between(before, after, changed))
    return locked


def do_transition_incident(
    incident: Incident,
    to: str,
    *,
    actor: User,
    hold_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    reason: str = "",
) -> Incident:
    with audit.action_transaction():
        locked = _lock(incident, actor)
        allowed = transitions.allowed_next_states(locked, actor)
        if to == locked.state:
            return locked
        if to not in allowed:
            shown = ", ".join(allowed) or "none"
            raise Conflict(
                f"{locked.number} cannot go from {locked.state} to {to}; allowed next states: {shown}.",
                allowed=allowed,
            )
        return _apply_transition(
            locked,
            to,
            actor=actor,
            hold_reason=hold_reason,
            resolution_code=resolution_code,
            resolution_notes=resolution_notes,
            reason=reason,
        )


def do_add_comment(incident: Incident, body: str, visibility: str, *, actor: User) -> JournalEntry:
    """A public comment or internal work note. The caller's reply resumes an incident awaiting them."""
    if visibility not in Visibility.values:
        raise InvalidInput.for_field("visibility", "Must be 'public' or 'internal'.")
    if visibility == Visibility.INTERNAL and not actor.is_fulfiller:
        raise Forbidden.for_field("visibility", "Only agents can write internal work notes.")
    with audit.action_transaction():
        locked = _lock(incident, actor, action="view")
        if locked.state in (State.CLOSED, State.CANCELED):
            raise Conflict(f"{locked.number} is {locked.state}; comments are closed.")
        entry = add_journal_entry(
            record_type=RECORD_TYPE,
            record=locked,
            body=body,
            visibility=visibility,
            actor=actor,
        )
        _emit("commented", locked, actor, data={"visibility": visibility, "kind": entry.kind, "entry": entry.pk})
        if (
            locked.state == State.ON_HOLD
            and locked.hold_reason == HoldReason.AWAITING_CALLER
            and visibility == Visibility.PUBLIC
            and actor.pk == locked.caller_id
        ):
            _apply_transition(locked, State.IN_PROGRESS, actor=actor, reason="Caller replied.")
        else:
            locked.updated_at = timezone.now()
            locked.save(update_fields=["updated_at"])
            if visibility == Visibility.PUBLIC and actor.is_fulfiller:
                sync_clocks(
                    locked, record_type=RECORD_TYPE, actor=actor, responded=True
                )  # an agent's answer meets the response target
    return entry


def do_comment_on_incidents(
    incident_ids: list[int], body: str, *, actor: User, visibility: str = Visibility.PUBLIC
) -> list[Incident]:
    """The same comment on many incidents in one action (a problem's workaround on every linked incident):
    those the actor may change and that are still open, locked in id order; one insert for the journal, one
    update for `updated_at`, an `incident.commented` event each. Returns the incidents commented on."""
    with audit.action_transaction():
        locked = list(
            restrict(actor, "change", Incident)
            .select_for_update()
            .filter(pk__in=incident_ids, state__in=list(transitions.OPEN_STATES))
            .order_by("pk")
            .only("id", "number", "state")
        )
        entries = add_journal_entries(record_type=RECORD_TYPE, records=locked, body=body, visibility=visibility,
                                      actor=actor)  # fmt: skip
        Incident.objects.filter(pk__in=[i.pk for i in locked]).update(updated_at=timezone.now())
        for incident, entry in zip(locked, entries, strict=True):
            _emit("commented", incident, actor, data={"visibility": visibility, "kind": entry.kind, "entry": entry.pk})
    return locked


def do_post_communication(incident: Incident, body: str, *, actor: User) -> JournalEntry:
    """A status update in a major incident's communication log: public, for everyone affected."""
    if not actor.is_fulfiller:
        raise Forbidden("Only agents post major-incident communications.")
    with audit.action_transaction():
        locked = _lock(incident, actor)
        if not locked.major_incident:
            raise Conflict(f"{locked.number} is not a major incident; flag it first.")
        if locked.state in (State.CLOSED, State.CANCELED):
            raise Conflict(f"{locked.number} is {locked.state}; its communication log is closed.")
        entry = add_journal_entry(
            record_type=RECORD_TYPE, record=locked, body=body, visibility=Visibility.PUBLIC, actor=actor,
            kind=JournalKind.COMMUNICATION,
        )  # fmt: skip
        _emit("commented", locked, actor, data={"visibility": entry.visibility, "kind": entry.kind, "entry": entry.pk})
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
    return entry


def do_auto_close_resolved(*, actor: User, now: datetime | None = None, batch: int = 500) -> int:
    """Close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago (the background job's body)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INCIDENT_AUTO_CLOSE_DAYS)
    closed = 0
    while True:
        numbers = list(
            Incident.objects.filter(state=State.RESOLVED, resolved_at__lte=cutoff)
            .order_by("resolved_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not numbers:
            return closed
        for pk in numbers:
            with audit.action_transaction():
                locked = Incident.objects.select_for_update().get(pk=pk)
                if locked.state != State.RESOLVED or locked.resolved_at is None or locked.resolved_at > cutoff:
                    continue
                _apply_transition(
                    locked,
                    State.CLOSED,
                    actor=actor,
                    reason=f"Automatically closed {settings.INCIDENT_AUTO_CLOSE_DAYS} days after resolution.",
                )
                closed += 1


def _lock(incident: Incident, actor: User, action: str = "change") -> Incident:
    """Re-read the row under lock, through the permission scope (a record the actor cannot see is 404)."""
    from plantdesk.core.errors import NotFound

    locked = locked_in_scope(actor, "view" if action == "view" else "change", Incident, incident.pk)
    if locked is None:
        raise NotFound(f"Incident {incident.number} not found.")
    return locked


def _apply_transition(
    locked: Incident,
    to: str,
    *,
    actor: User,
    hold_reason: str = "",
    resolution_code: str = "",
    resolution_notes: str = "",
    reason: str = "",
) -> Incident:
    """Move a locked incident to `to`: check required fields, set timestamps, audit, propagate."""
    from plantdesk.incidents.fields import check_transition_fields

    check_transition_fields(to, hold_reason=hold_reason, resolution_code=resolution_code,
                            resolution_notes=resolution_notes, reason=reason)  # fmt: skip
    now = timezone.now()
    old_state = locked.state
    before = audit.snapshot(locked, [*AUDITED_FIELDS, "state"])
    locked.state = to
    if to == State.ON_HOLD:
        locked.hold_reason = hold_reason
    elif old_state == State.ON_HOLD:
        locked.hold_reason = ""
    if to == State.RESOLVED:
        locked.resolution_code = resolution_code
        locked.resolution_notes = resolution_notes.strip()
        locked.resolved_at = now
        locked.resolved_by = actor
    if to == State.CLOSED:
        locked.closed_at = now
    if to == State.CANCELED:
        locked.cancel_reason = reason.strip()
    if transitions.is_reopen(old_state, to):
        locked.reopen_count += 1
        locked.reopened_at = now
        locked.reopened_by = actor
        locked.resolved_at = None
        locked.resolved_by = None
        # A reopened incident is not solved: its resolution ("Cleared by the source") stays in the history
        # only, and the next resolution is written afresh.
        locked.resolution_code = ""
        locked.resolution_notes = ""
    locked.updated_at = now
    audit_reason = reason.strip() if to != State.CANCELED else locked.cancel_reason
    after = audit.snapshot(locked, [*AUDITED_FIELDS, "state"])
    changed = audit.record_changes(
        actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after,
        action="transition", reason=audit_reason,
    )  # fmt: skip
    locked.save(update_fields=[*_model_fields(changed), *_TRANSITION_TIMESTAMPS, "updated_at"])
    sync_clocks(locked, record_type=RECORD_TYPE, actor=actor)
    _emit("state_changed", locked, actor, changes_between(before, after, changed), data={"reason": audit_reason})
    if to == State.RESOLVED:
        _resolve_children(locked, actor=actor)
    return locked


_TRANSITION_TIMESTAMPS = [
    "resolved_at",
    "resolved_by",
    "closed_at",
    "reopened_at",
    "reopened_by",
    "reopen_count",
]


def _resolve_children(parent: Incident, *, actor: User) -> None:
    """Resolving a parent resolves its open children with the parent's resolution (DOMAIN.md 1)."""
    # Only children the actor may change: one at another site stays open for its own desk.
    children = (
        restrict(actor, "change", Incident)
        .select_for_update()
        .filter(parent=parent, state__in=[State.NEW, State.IN_PROGRESS, State.ON_HOLD])
    )
    for child in children:
        _apply_transition(
            child,
            State.RESOLVED,
            actor=actor,
            resolution_code=parent.resolution_code,
            resolution_notes=parent.resolution_notes,
            reason=f"Resolved with parent {parent.number}.",
        )


def _model_fields(names: list[str]) -> list[str]:
    return [n for n in names if n not in _TRANSITION_TIMESTAMPS]


ASSIGNMENT_FIELDS = ("assignment_group", "assignee")


def _emit(
    what: str, incident: Incident, actor: User, changes: Changes | None = None, data: dict[str, Any] | None = None
) -> None:
    """`incident.<what>` for the other apps' consumers, and `incident.assigned` when the assignment changed
    (or a new incident starts with one)."""
    changes = changes or {}
    record_event(f"{RECORD_TYPE}.{what}", record_type=RECORD_TYPE, record=incident, actor=actor, changes=changes,
                 data=data)  # fmt: skip
    assignment = {f: changes[f] for f in ASSIGNMENT_FIELDS if f in changes}
    if assignment:
        record_event(f"{RECORD_TYPE}.assigned", record_type=RECORD_TYPE, record=incident, actor=actor,
                     changes=assignment)  # fmt: skip


def _audit(actor: User, incident: Incident, action: str, **kwargs: Any) -> None:
    audit.record(
        actor=actor,
        record_type=RECORD_TYPE,
        record_id=incident.pk,
        record_label=incident.number,
        action=action,
        **kwargs,
    )


def do_create_assignment_rule(
    name: str,
    *,
    group: str,
    actor: User,
    order: int = 100,
    category: str = "",
    site: str = "",
    ci_prefix: str = "",
) -> AssignmentRule:
    """An admin's routing rule for incidents raised without a group (see AssignmentRule)."""
    if not actor.is_plantdesk_admin:
        raise Forbidden("Only administrators configure assignment rules.")
    errors: list[FieldError] = []
    if not name.strip() or AssignmentRule.objects.filter(name=name).exists():
        errors.append(FieldError("name", "A rule needs a name of its own."))
    group_row = group_named(group)
    if group_row is None:
        errors.append(FieldError("group", f"Unknown assignment group {group!r}."))
    site_row = site_coded(site) if site else None
    if site and site_row is None:
        errors.append(FieldError("site", f"Unknown site {site!r}."))
    if category and not is_active_option(CATEGORY_SET, category):
        errors.append(FieldError("category", f"Unknown category {category!r}."))
    if errors or group_row is None:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        rule = AssignmentRule.objects.create(
            name=name, order=order, category=category, site=site_row, ci_prefix=ci_prefix, group=group_row
        )
        audit.record(
            actor=actor, record_type="assignment_rule", record_id=rule.pk, record_label=name, action="created",
            new=f"order={order} category={category} site={site} ci_prefix={ci_prefix} -> {group}",
        )  # fmt: skip
    return rule
