"""Template helpers of the event pages, and the "Alerts" section the incident page includes: it lives here so
the incident app's view need not know about alerts (the tag reads them for the signed-in agent itself)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plantdesk.accounts.models import User
from plantdesk.events.incident_alerts import EVENT_LIMIT, alerts_of_incident
from plantdesk.incidents.models import Incident

register = template.Library()

# The priority colours: a critical alarm looks like a P1.
_SEVERITY_CLASS = {"critical": "prio-1", "major": "prio-2", "minor": "prio-3", "warning": "prio-4", "info": "prio-5"}


@register.simple_tag
def severity_badge(severity: str) -> SafeString:
    return format_html('<span class="badge sev sev-{0} {1}">{2}</span>', severity,
                       _SEVERITY_CLASS.get(severity, "badge-soft"), severity.capitalize())  # fmt: skip


@register.inclusion_tag("events/incident_alerts.html", takes_context=True)
def incident_alerts(context: template.Context, incident: Incident) -> dict[str, Any]:
    """Nothing for anyone but agents and administrators: requesters never see alerts."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_fulfiller:
        return {"show": False}
    found = alerts_of_incident(user, incident)
    return {"show": bool(found.items), "found": found, "incident": incident, "event_limit": EVENT_LIMIT}
