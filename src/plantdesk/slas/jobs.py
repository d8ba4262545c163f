"""The worker's SLA step: fire the warnings and breaches that are due, in their order, and run the
breach actions (notify the group, raise the priority, reassign)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.errors import DomainError
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import Visibility
from plantdesk.incidents.models import Incident
from plantdesk.slas.clocks import BREACH, lock_due, plan_next
from plantdesk.slas.models import SLAClock
from plantdesk.slas.schedules import calendar_for

BATCH = 500
logger = logging.getLogger(__name__)


def fire_due_events(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """One round: every clock event due by `now` (up to `batch`), each written to its incident's journal
    and audit trail, then the breach actions of this and any earlier round. Returns the number of events
    fired; the worker calls again at once while a round is full."""
    now = now or timezone.now()
    actor = get_system_user()
    with audit.action_transaction():
        clocks = lock_due(now, batch)
        incidents = Incident.objects.in_bulk({c.record_id for c in clocks})
        for clock in clocks:
            incident = incidents.get(clock.record_id)
            if incident is not None:
                _fire(clock, incident, actor)
    run_pending_breach_actions(actor)
    return len(clocks)


def _fire(clock: SLAClock, incident: Incident, actor: User) -> None:
    thresholds = [*clock.definition.warnings, BREACH]
    threshold = thresholds[clock.warnings_fired]
    name, due = clock.definition.name, clock.due_at.isoformat(timespec="seconds") if clock.due_at else "?"
    if threshold == BREACH:
        clock.breached_at = clock.next_event_at
        clock.actions_pending = bool(clock.definition.breach_actions)
        text = f"SLA breached: {name} ({clock.definition.target}) was due {due}."
    else:
        text = f"SLA warning: {name} ({clock.definition.target}) at {threshold} %, due {due}."
    add_journal_entry(record_type="incident", record=incident, body=text, visibility=Visibility.INTERNAL, actor=actor)
    clock.warnings_fired += 1
    plan_next(clock, calendar_for(clock.schedule))
    clock.save(update_fields=["warnings_fired", "breached_at", "due_at", "next_event_at", "actions_pending"])


def run_pending_breach_actions(actor: User, limit: int = BATCH) -> int:
    """Each breached clock's actions in one transaction with clearing its flag (exactly once). The incident
    is locked before the clock, in the order incident actions take them, so the two never deadlock. An
    action the incident refuses (a group since deleted...) is noted on the incident instead of retried."""
    pending = list(SLAClock.objects.filter(actions_pending=True).order_by("id").values_list("id", "record_id")[:limit])
    for clock_id, incident_id in pending:
        try:
            with audit.action_transaction():
                incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
                clock = SLAClock.objects.select_for_update().filter(pk=clock_id, actions_pending=True).first()
                if clock is None:
                    continue  # another worker did it
                if incident is not None and incident.state in ("new", "in_progress", "on_hold"):
                    _run_breach_actions(incident, clock.definition.breach_actions, clock.definition.name, actor)
                clock.actions_pending = False
                clock.save(update_fields=["actions_pending"])
        except Exception:  # one incident's trouble must not stop the others' actions
            logger.exception("SLA breach actions of clock %s failed; retried next round", clock_id)
    return len(pending)


def _run_breach_actions(incident: Incident, actions: list[dict[str, Any]], name: str, actor: User) -> None:
    """Each action as the system account through the incident's own actions (audited, clocks re-synced)."""
    from plantdesk.incidents.actions import do_update_incident

    for action in actions:
        try:
            with audit.action_transaction():  # a savepoint: a refused action leaves the others standing
                if action["action"] == "raise_priority" and incident.urgency > 1:
                    incident = do_update_incident(incident, {"urgency": incident.urgency - 1}, actor=actor)
                elif action["action"] == "reassign":
                    incident = do_update_incident(incident, {"assignment_group": action["group"]}, actor=actor)
                elif action["action"] == "notify":
                    group = incident.assignment_group.name if incident.assignment_group else "the service desk"
                    _note(incident, f"SLA {name} breached: {group} notified.", actor)
        except DomainError as refused:
            _note(
                incident,
                f"SLA {name} breached: could not {action['action'].replace('_', ' ')}: {refused.detail}",
                actor,
            )


def _note(incident: Incident, text: str, actor: User) -> None:
    add_journal_entry(record_type="incident", record=incident, body=text, visibility=Visibility.INTERNAL, actor=actor)
