"""The read side of an incident's alerts, for its page and GET /api/v1/incidents/{number}/alerts: the alerts
with their counts, the ones active now first, and for each the newest raw events as received (payload and
SHA-256), so an agent sees which alarms still stand and exactly what the MES or the monitoring sent."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import BigIntegerField, Case, F, IntegerField, Q, Value, When, Window
from django.db.models.functions import RowNumber

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.events.models import Alert, InboxEvent
from plantdesk.incidents.models import Incident

ALERT_LIMIT = 50  # a flood incident can hold hundreds; the newest are the ones to read
EVENT_LIMIT = 20


@dataclass(frozen=True)
class AlertEvents:
    alert: Alert
    events: list[InboxEvent]  # newest first, at most EVENT_LIMIT


@dataclass(frozen=True)
class IncidentAlerts:
    items: list[AlertEvents]
    count: int  # all the incident's alerts the user may see (items holds at most ALERT_LIMIT)
    active: int  # how many of them are open now


# Active alarms first (what still stands is what the agent works on), then the newest activity.
_ACTIVE_FIRST = Case(When(state=Alert.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())


def alerts_of_incident(user: User, incident: Incident, *, event_limit: int = EVENT_LIMIT) -> IncidentAlerts:
    """At most four queries whatever the number of alerts: the alerts, their raw events and, for an incident
    with more alerts than are shown, how many there are and how many are active."""
    visible = restrict(user, "view", Alert).filter(incident=incident)
    alerts = list(
        visible.select_related("ci", "site", "incident", "acknowledged_by").order_by(
            _ACTIVE_FIRST, "-last_seen", "-id"
        )[:ALERT_LIMIT]
    )
    if len(alerts) < ALERT_LIMIT:
        count, active = len(alerts), sum(a.state == Alert.OPEN for a in alerts)
    else:
        count, active = visible.count(), visible.filter(state=Alert.OPEN).count()
    events = _raw_events(user, alerts, event_limit)
    return IncidentAlerts([AlertEvents(a, events.get(a.pk, [])) for a in alerts], count, active)


def _raw_events(user: User, alerts: list[Alert], limit: int) -> dict[int, list[InboxEvent]]:
    """An alert's events are those of its key between its first and last event id (a key's earlier or later
    episodes are other alerts). The newest `limit` of each, ranked in SQL, not one query per alert."""
    if not alerts:
        return {}
    ranges = {a.pk: Q(dedup_key=a.dedup_key, id__gte=a.first_event_id, id__lte=a.last_event_id) for a in alerts}
    owner = Case(*(When(q, then=Value(pk)) for pk, q in ranges.items()), output_field=BigIntegerField())
    rows = (
        restrict(user, "view", InboxEvent)
        .filter(reduce(or_, ranges.values()))
        .annotate(alert_id=owner)
        .annotate(rank=Window(RowNumber(), partition_by=[F("alert_id")], order_by=F("id").desc()))
        .filter(rank__lte=limit)
        .order_by("-id")
    )
    found: dict[int, list[InboxEvent]] = {}
    for row in rows:
        found.setdefault(row.alert_id, []).append(row)
    return found
