"""The worker's SLA step: fire the warnings and breaches that are due, in their order, and run the
breach actions (notify the group, raise the priority, reassign)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import Visibility
from plantdesk.incidents.models import Incident
from plantdesk.slas.clocks import BREACH, lock_due, plan_next
from plantdesk.slas.models import SLAClock
from plantdesk.slas.schedules import calendar_for

BATCH = 500


def fire_due_events(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """One round: every clock event due by `now` (up to `batch`), each written to its incident's journal
    and audit trail. Returns the number fired; the worker calls again at once while a round is full."""
    now = now or timezone.now()
    actor = get_system_user()
    breaches: list[tuple[int, list[dict[str, Any]], str]] = []
    with audit.action_transaction():
        clocks = lock_due(now, batch)
        incidents = Incident.objects.in_bulk({c.record_id for c in clocks})
        for clock in clocks:
            incident = incidents.get(clock.record_id)
            if incident is None:
                continue
            if _fire(clock, incident, actor):
                breaches.append((incident.pk, clock.definition.breach_actions, clock.definition.name))
    for incident_id, actions, name in breaches:
        _run_breach_actions(incident_id, actions, name, actor)
    return len(clocks)


def _fire(clock: SLAClock, incident: Incident, actor: User) -> bool:
    thresholds = [*clock.definition.warnings, BREACH]
    threshold = thresholds[clock.warnings_fired]
    name, due = clock.definition.name, clock.due_at.isoformat(timespec="seconds") if clock.due_at else "?"
    if threshold == BREACH:
        clock.breached_at = clock.next_event_at
        text = f"SLA breached: {name} ({clock.definition.target}) was due {due}."
    else:
        text = f"SLA warning: {name} ({clock.definition.target}) at {threshold} %, due {due}."
    add_journal_entry(record_type="incident", record=incident, body=text, visibility=Visibility.INTERNAL, actor=actor)
    clock.warnings_fired += 1
    plan_next(clock, calendar_for(clock.schedule))
    clock.save(update_fields=["warnings_fired", "breached_at", "due_at", "next_event_at"])
    return threshold == BREACH


def _run_breach_actions(incident_id: int, actions: list[dict[str, Any]], name: str, actor: User) -> None:
    """Each action as the system account through the incident's own actions (audited, clocks re-synced)."""
    from plantdesk.incidents.actions import do_update_incident

    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None or incident.state not in ("new", "in_progress", "on_hold"):
        return
    for action in actions:
        if action["action"] == "raise_priority" and incident.urgency > 1:
            incident = do_update_incident(incident, {"urgency": incident.urgency - 1}, actor=actor)
        elif action["action"] == "reassign":
            incident = do_update_incident(incident, {"assignment_group": action["group"]}, actor=actor)
        elif action["action"] == "notify":
            group = incident.assignment_group.name if incident.assignment_group else "the service desk"
            _note(incident, f"SLA {name} breached: {group} notified.", actor)


def _note(incident: Incident, text: str, actor: User) -> None:
    with audit.action_transaction():
        add_journal_entry(
            record_type="incident", record=incident, body=text, visibility=Visibility.INTERNAL, actor=actor
        )
