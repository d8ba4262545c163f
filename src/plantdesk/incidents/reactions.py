"""The incidents app's consumers of other apps' domain events (core.domain_events), run by the worker after
the other app's change committed. Each runs in a transaction of its own with its delivery's progress, so an
event's reaction happens once, however often the worker is killed on the way."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.domain_events import Event
from plantdesk.core.errors import DomainError
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import JournalKind, Visibility
from plantdesk.incidents.actions import do_update_incident
from plantdesk.incidents.choices import OPEN_STATES
from plantdesk.incidents.models import RECORD_TYPE, Incident

SLA_BREACH_ACTIONS = "incidents.sla_breach_actions"


def run_sla_breach_actions(event: Event) -> None:
    """`sla.breached` on an incident: the definition's breach actions as the system account, through the
    incident's own actions (audited, clocks re-synced). The incident is locked first, as incident actions
    take it. An action the incident refuses (a group deleted since...) is noted on it instead of retried; an
    incident closed or canceled meanwhile gets none."""
    actor = get_system_user()
    with audit.action_transaction():
        incident = Incident.objects.select_for_update().filter(pk=event.record_id).first()
        if incident is None or incident.state not in OPEN_STATES:
            return
        name = str(event.data.get("definition", ""))
        for action in event.data.get("breach_actions", []):
            incident = _run(incident, action, name, actor)


def _run(incident: Incident, action: dict[str, Any], name: str, actor: User) -> Incident:
    try:
        with audit.action_transaction():  # a savepoint: a refused action leaves the others standing
            if action["action"] == "raise_priority" and incident.urgency > 1:
                return do_update_incident(incident, {"urgency": incident.urgency - 1}, actor=actor)
            if action["action"] == "reassign":
                return do_update_incident(incident, {"assignment_group": action["group"]}, actor=actor)
            if action["action"] == "notify":
                group = incident.assignment_group.name if incident.assignment_group else "the service desk"
                _note(incident, f"SLA {name} breached: {group} notified.", actor)
    except DomainError as refused:
        verb = str(action.get("action", "")).replace("_", " ")
        _note(incident, f"SLA {name} breached: could not {verb}: {refused.detail}", actor)
    return incident


def _note(incident: Incident, text: str, actor: User) -> None:
    add_journal_entry(
        record_type=RECORD_TYPE, record=incident, body=text, visibility=Visibility.INTERNAL, actor=actor,
        kind=JournalKind.SYSTEM,
    )  # fmt: skip
