"""What the events app adds to other apps' pages: the incident page's alarms panel (ui.panels), so the
incident app's page needs to know nothing about alerts."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.events.incident_alerts import EVENT_LIMIT, alerts_of_incident
from plantdesk.incidents.models import Incident
from plantdesk.ui import panels


def incident_alarms(user: User, incident: Incident) -> dict[str, Any]:
    """Nothing for anyone but agents and administrators: requesters never see alerts."""
    if not user.is_fulfiller:
        return {"show": False}
    found = alerts_of_incident(user, incident)
    return {"show": bool(found.items), "found": found, "incident": incident, "event_limit": EVENT_LIMIT}


def register() -> None:
    panels.register_panel("incident_detail", "alarms", template="events/incident_alerts.html",
                          context=incident_alarms, order=10)  # fmt: skip
