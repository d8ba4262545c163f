"""GET /api/v1/incidents/{number}/alerts: the alerts behind an incident, with their counts and the newest raw
events as received. Agents and administrators only: requesters never see alerts, even on their own incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import Forbidden, NotFound
from plantdesk.events.alerts_api import AlertOut, alert_to_dict
from plantdesk.events.incident_alerts import alerts_of_incident
from plantdesk.incidents.queries import get_visible

incident_alerts_router = Router(tags=["events"])


class RawEventOut(Schema):
    id: int
    channel: str
    source: str
    received_at: datetime
    status: str
    sha256: str
    payload: str


class IncidentAlertOut(AlertOut):
    events: list[RawEventOut]


class IncidentAlertList(Schema):
    items: list[IncidentAlertOut]
    count: int


@incident_alerts_router.get(
    "/{number}/alerts", response=IncidentAlertList, summary="An incident's alerts with their newest raw events"
)
def incident_alerts(request: HttpRequest, number: str) -> dict[str, Any]:
    actor = actor_of(request)
    if not actor.is_fulfiller:
        raise Forbidden("Alerts are for agents and administrators.")
    incident = get_visible(actor, number)
    if incident is None:
        raise NotFound(f"No incident {number} that you can see.")
    found = alerts_of_incident(actor, incident)
    items = [alert_to_dict(item.alert) | {"events": item.events, "incident": incident.number} for item in found.items]
    return {"items": items, "count": found.count}
