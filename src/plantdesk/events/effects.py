"""What the processor does after counting: bind new alerts to CIs, then, for each alert that opened,
changed severity or closed, apply noise control and the rules, and open, link or resolve incidents through
`incidents.actions` (ARCHITECTURE rule 1) as the system account."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.core.domain_events import record_event
from plantdesk.core.errors import DomainError
from plantdesk.core.models import AuditEntry, Visibility
from plantdesk.events import noise, rules
from plantdesk.events.binding import area_of, bind
from plantdesk.events.bulk import bulk_set
from plantdesk.events.dedup import CLOSED, ESCALATED, OPENED, REOPENED, Incoming, Tracked
from plantdesk.events.models import AlarmFlood, Alert, AlertRule
from plantdesk.incidents.actions import do_add_comment, do_create_incident, do_transition_incident
from plantdesk.incidents.choices import OPEN_STATES, Source, State
from plantdesk.incidents.models import RECORD_TYPE as INCIDENT_RECORD
from plantdesk.incidents.models import Incident
from plantdesk.requests.actions import do_submit_request
from plantdesk.requests.choices import ITEM_OPEN
from plantdesk.requests.choices import Source as RequestSource
from plantdesk.requests.models import CatalogItem, RequestItem
from plantdesk.requests.questions import answers_from_event

log = logging.getLogger("plantdesk.events")
CLEARED_CODE = "cleared_by_source"
TITLE_LENGTH = 160  # an incident's short description


FOLLOW_UP_FIELDS = ("suppressed", "parent", "incident", "opened_incident", "request_item")


def follow_up(changed: Sequence[Tracked]) -> None:
    if not changed:
        return
    episodes = sorted(
        ((e.alert, e.changes, e.raised) for t in changed for e in [*t.earlier, t] if e.alert is not None),
        key=lambda episode: episode[0].first_event_id,
    )
    opening = {alert.pk for alert, changes, _ in episodes if OPENED in changes or REOPENED in changes}
    context = _Context(get_system_user(), noise.Judge.for_batch(timezone.now(), opening))
    for alert, changes, raised in episodes:
        messages = iter(raised)
        for change in changes:
            message = next(messages, "") if change in (OPENED, REOPENED) else ""
            try:
                context.react(alert, change, message)
            except DomainError as exc:  # one alert's incident failing must not hold up the batch
                log.warning("alert %s: %s failed: %s", alert.dedup_key, change, exc)
            _emit(alert, change, context.system)
    context.flush()


ALERT_RECORD = "alert"
_EVENT_NAMES = {OPENED: "alert.opened", REOPENED: "alert.opened", CLOSED: "alert.closed",
                ESCALATED: "alert.severity_changed"}  # fmt: skip


def _emit(alert: Alert, change: str, actor: User) -> None:
    """The alert's domain event, with what this batch knows of it without a query more per alert: an event
    storm's alerts are loaded with the counting columns only (a consumer reads the rest by the alert's id)."""
    name = _EVENT_NAMES.get(change)
    if name is None:
        return
    deferred = alert.get_deferred_fields()
    data: dict[str, object] = {"severity": alert.severity, "reopened": change == REOPENED}
    for relation, label in (("ci", "name"), ("incident", "number")):
        if f"{relation}_id" not in deferred and Alert._meta.get_field(relation).is_cached(alert):  # type: ignore[union-attr]
            related = getattr(alert, relation)
            data[relation] = getattr(related, label) if related is not None else None
    if "suppressed" not in deferred:
        data["suppressed"] = alert.suppressed
    record_event(name, record_type=ALERT_RECORD, record=alert, actor=actor, data=data)


def bind_new(changed: Sequence[Tracked], by_key: dict[str, list[Incoming]]) -> None:
    """CI, site and area for the batch's new (not yet inserted) alerts, from the event that opened each."""
    new = [e.alert for t in changed for e in [*t.earlier, t] if e.is_new and e.alert is not None]
    firsts = {
        alert.first_event_id: next(i.event for i in by_key[alert.dedup_key] if i.inbox_id == alert.first_event_id)
        for alert in new
    }
    cis = bind(firsts.values())
    for alert in new:
        alert.ci = cis.get(alert.dedup_key)
        alert.site = alert.ci.site if alert.ci is not None else None
        alert.area = area_of(alert.ci, firsts[alert.first_event_id])


class _Context:
    def __init__(self, system: User, judge: noise.Judge) -> None:
        self.system = system
        self.judge = judge
        self.now = judge.now
        # Verdicts are written together: those that only record a reason at the end, those that join an
        # incident or a parent before anything reads who holds an incident (judge.before_lookup, closed()).
        self.recorded: list[Alert] = []
        self.joined: list[Alert] = []
        judge.before_lookup = self.write_joined

    def react(self, alert: Alert, change: str, message: str = "") -> None:
        """`message`: for an (re)opening, the text of the alarm that raised it, which titles its incident."""
        if change in (OPENED, REOPENED):
            self.opened(alert, message, reopened=change == REOPENED)
        elif change == CLOSED:
            self.closed(alert)
        elif change == ESCALATED and alert.incident is not None and alert.incident.state in OPEN_STATES:
            self.note(alert.incident, f"Alert {alert.dedup_key} changed severity to {alert.severity}.")

    def opened(self, alert: Alert, message: str, *, reopened: bool) -> None:
        if reopened and alert.request_item is not None and alert.request_item.state in ITEM_OPEN:
            return  # the request it opened is still open: the alert joins it again
        incident = alert.incident
        if reopened and incident is not None:
            if incident.state in OPEN_STATES:
                return  # still being worked on: the alert joins it again
            if incident.state == State.RESOLVED and alert.opened_incident:
                why = f"Alert {alert.dedup_key} fired again within the reopen window."
                do_transition_incident(incident, State.IN_PROGRESS, actor=self.system, reason=why)
                return
        verdict = self.judge.judge(alert)
        alert.suppressed, alert.parent = verdict.reason, verdict.parent
        alert.incident, alert.opened_incident, alert.request_item = None, False, None
        if verdict.parent is not None:
            alert.incident = verdict.parent.incident
        elif verdict.flood is not None:
            alert.incident = self.flood_incident(verdict.flood, alert)
        elif not verdict.reason and (rule := rules.request_rule(alert)) is not None:
            alert.request_item = self.open_request(alert, rule, message)
        elif not verdict.reason:
            alert.incident, alert.opened_incident = self.open_incident(alert, message), True
        if alert.incident is None and alert.parent is None and alert.request_item is None:
            self.recorded.append(alert)
            self.judge.recorded.add(alert.pk)
        else:
            self.joined.append(alert)

    def write_joined(self) -> None:
        bulk_set(self.joined, FOLLOW_UP_FIELDS)
        self.joined.clear()

    def flush(self) -> None:
        self.write_joined()
        bulk_set(self.recorded, FOLLOW_UP_FIELDS)
        self.judge.save_floods()

    def closed(self, alert: Alert) -> None:
        incident = alert.incident
        if incident is None or incident.state not in OPEN_STATES or incident.opened_by_id != self.system.pk:
            return
        if alert.flapping:
            return  # a flapping alarm's clear says little; a person decides
        if self.taken_over(incident):
            return
        self.write_joined()
        holding = Alert.objects.filter(Q(state=Alert.OPEN) | Q(flapping=True), incident=incident)
        if holding.exists():
            return  # other alerts (a flood's, secondaries, a flapping parent) still hold it open
        notes = f"Cleared by the source: alert {alert.dedup_key} closed at {self.now:%Y-%m-%d %H:%M:%S} UTC."
        do_transition_incident(
            incident, State.RESOLVED, actor=self.system, resolution_code=CLEARED_CODE, resolution_notes=notes
        )

    def taken_over(self, incident: Incident) -> bool:
        """A person has assigned it, commented, or changed anything on it: they decide when it is resolved."""
        if incident.assignee_id is not None:
            return True
        entries = AuditEntry.objects.filter(record_type=INCIDENT_RECORD, record_id=incident.pk)
        return entries.exclude(actor=self.system).exists()

    def open_incident(self, alert: Alert, message: str) -> Incident:
        """Titled by the alarm that raised it, never by a later event of the batch (a clear's "level normal"
        reads as good news); the incident's title is never rewritten by the alert's later events."""
        impact, urgency = rules.impact_and_urgency(alert)
        title, details = self.texts(alert, message)
        data = {"short_description": title, "description": details, "source": Source.EVENT,
                "impact": impact, "urgency": urgency}  # fmt: skip
        if alert.ci is not None:
            data["ci"] = alert.ci.name
        return do_create_incident(data, actor=self.system)

    def open_request(self, alert: Alert, rule: AlertRule, message: str) -> RequestItem:
        """Order the rule's catalog item for the alert's CI, as the system account (CONTRACT.md section 9)."""
        assert rule.catalog_item is not None
        title, details = self.texts(alert, message)
        version = CatalogItem.objects.select_related("current").get(pk=rule.catalog_item.pk).current
        assert version is not None
        answers = answers_from_event(version.questions, ci=alert.ci.name if alert.ci else None, title=title,
                                     details=details)  # fmt: skip
        request = do_submit_request(
            {"short_description": title, "items": [{"catalog_item": rule.catalog_item.name, "answers": answers}]},
            actor=self.system, source=RequestSource.EVENT, site=alert.site,
        )  # fmt: skip
        return request.items.get()

    def texts(self, alert: Alert, message: str) -> tuple[str, str]:
        """The record's title (the alarm that raised it) and its details (what the alert knows)."""
        where = alert.ci.name if alert.ci is not None else alert.node or alert.source
        title = f"{message or alert.metric or alert.type or 'Alert'} on {where}"
        details = "\n".join(
            f"{label}: {value}"
            for label, value in (("Source", alert.source), ("Node", alert.node), ("Resource", alert.resource),
                                 ("Type", alert.type), ("Metric", alert.metric), ("Severity", alert.severity),
                                 ("Alert key", alert.dedup_key))
            if value
        )  # fmt: skip
        return title[:TITLE_LENGTH], details

    def flood_incident(self, flood: AlarmFlood, alert: Alert) -> Incident | None:
        if flood.incident is None:
            flood.incident = do_create_incident(
                {
                    "short_description": f"Alarm flood on {flood.area}"[:TITLE_LENGTH],
                    "description": f"More than {settings.EVENTS_FLOOD_ALARMS} alarms in 10 minutes on {flood.area} "
                    "(ISA-18.2 flood); the alarms that follow are held as this incident's alerts.",
                    "source": Source.EVENT, "impact": 1, "urgency": 1,
                    **({"ci": alert.ci.name} if alert.ci is not None and alert.ci.name == flood.area else {}),
                },
                actor=self.system,
            )  # fmt: skip
            flood.save(update_fields=["incident"])
        return flood.incident

    def note(self, incident: Incident, body: str) -> None:
        do_add_comment(incident, body, Visibility.INTERNAL, actor=self.system)
