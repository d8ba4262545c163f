"""One incident as the API shows it (the list query selects every related row it needs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plantdesk.core.models import JournalEntry
from plantdesk.incidents.models import Incident
from plantdesk.slas.clocks import ClockView, clocks_of

# Fields other apps add to an incident (the problems app: "problem"), each loaded for a whole page at once:
# name -> loader(incident ids) -> {incident id: value}. The incidents app never imports those apps.
RelatedLoader = Callable[[list[int]], dict[int, Any]]
_related: dict[str, RelatedLoader] = {}


def register_related_field(name: str, loader: RelatedLoader) -> None:
    _related[name] = loader


def related_fields(incident_ids: list[int]) -> dict[int, dict[str, Any]]:
    values: dict[int, dict[str, Any]] = {pk: {} for pk in incident_ids}
    for name, loader in _related.items():
        found = loader(incident_ids)
        for pk in incident_ids:
            values[pk][name] = found.get(pk)
    return values


def username(user: Any) -> str | None:
    return user.username if user is not None else None


_username = username


def incident_to_dict(
    incident: Incident,
    sla: list[ClockView] | None = None,
    *,
    internal: bool = True,
    related: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`sla`: the incident's clocks, when the caller loaded them for a whole page (else read here).
    `internal`: an agent's view; a requester does not see the desk's internal OLAs."""
    clocks = sla if sla is not None else clocks_of("incident", [incident.pk])[incident.pk]
    if not internal:
        clocks = [c for c in clocks if c.kind != "ola"]
    return {
        "number": incident.number,
        "state": incident.state,
        "priority": incident.priority,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "short_description": incident.short_description,
        "description": incident.description,
        "category": incident.category,
        "ci": incident.ci.name if incident.ci else None,
        "site": incident.site.code if incident.site else None,
        "source": incident.source,
        "caller": incident.caller.username,
        "opened_by": incident.opened_by.username,
        "assignment_group": incident.assignment_group.name if incident.assignment_group else None,
        "assignee": _username(incident.assignee),
        "hold_reason": incident.hold_reason or None,
        "resolution_code": incident.resolution_code or None,
        "resolution_notes": incident.resolution_notes or None,
        "cancel_reason": incident.cancel_reason or None,
        "parent": incident.parent.number if incident.parent else None,
        "major_incident": incident.major_incident,
        "major_incident_owner": _username(incident.major_incident_owner),
        "time_worked_minutes": incident.time_worked_minutes,
        "reopen_count": incident.reopen_count,
        "reopened_at": incident.reopened_at,
        "reopened_by": _username(incident.reopened_by),
        "opened_at": incident.opened_at,
        "updated_at": incident.updated_at,
        "resolved_at": incident.resolved_at,
        "resolved_by": _username(incident.resolved_by),
        "closed_at": incident.closed_at,
        "sla": [clock_to_dict(c) for c in clocks],
        **(related if related is not None else related_fields([incident.pk])[incident.pk]),
    }


def incidents_to_dicts(incidents: list[Incident], *, internal: bool = True) -> list[dict[str, Any]]:
    """A page of incidents as the list endpoint shows them: their clocks in one query, not one per row."""
    ids = [i.pk for i in incidents]
    clocks, related = clocks_of("incident", ids), related_fields(ids)
    return [incident_to_dict(i, clocks[i.pk], internal=internal, related=related[i.pk]) for i in incidents]


def clock_to_dict(clock: ClockView) -> dict[str, Any]:
    return {
        "definition": clock.definition, "kind": clock.kind, "target": clock.target, "due": clock.due,
        "state": clock.state, "elapsed_percent": clock.elapsed_percent,
    }  # fmt: skip


def comment_to_dict(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.created_at,
        "author": entry.author.username,
        "author_name": entry.author.printed_name,
        "visibility": entry.visibility,
        "kind": entry.kind,
        "body": entry.body,
    }
