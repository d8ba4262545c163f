"""Noise control for an alert that (re)opens (DOMAIN.md section 7), cheapest and surest first: maintenance,
silences, the rules' "record only", then topology and ISA-18.2 floods, which look at other alerts. Flapping
is decided by dedup. What is under maintenance (changes.maintenance: the maintenance windows of change
enablement in force, and changes being implemented) and the silences are read once per batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from django.conf import settings
from django.db.models import Q

from plantdesk.changes.maintenance import UnderMaintenance, under_maintenance
from plantdesk.cmdb.impact import impact
from plantdesk.cmdb.links import data_path
from plantdesk.events import rules
from plantdesk.events.models import AlarmFlood, Alert, Silence
from plantdesk.incidents.choices import OPEN_STATES

MAINTENANCE, SILENCED, SECONDARY, FLOOD, FLAPPING, RECORD_ONLY = (
    "maintenance", "silenced", "secondary", "flood", "flapping", "record_only",
)  # fmt: skip
DOWN_SEVERITIES = ("critical", "major")  # an open alert this severe means its CI is down for its dependants
MATCHABLE = ("source", "node", "resource", "type", "metric", "severity", "dedup_key", "area", "ci", "site")


@dataclass(frozen=True)
class Verdict:
    reason: str  # empty: the alert opens an incident of its own
    parent: Alert | None = None
    flood: AlarmFlood | None = None


@dataclass
class Judge:
    """What a batch knows once: what is under maintenance, the silences, and which of its alerts are still
    to be judged (they cannot be anyone's parent yet) or were only recorded (they count in no flood)."""

    now: datetime
    maintenance: UnderMaintenance
    silences: list[Silence] = field(default_factory=list)
    pending: set[int] = field(default_factory=set)
    recorded: set[int] = field(default_factory=set)
    floods: dict[str, AlarmFlood] = field(default_factory=dict)  # area -> its flood, locked, saved at the end
    before_lookup: Callable[[], None] = lambda: None  # writes verdicts the parent lookup must see

    @classmethod
    def for_batch(cls, now: datetime, pending: set[int]) -> Judge:
        live = Q(starts_at__lte=now, ends_at__gt=now)
        silences = list(Silence.objects.filter(live, expired_early_at__isnull=True))
        return cls(now, under_maintenance(now), silences, pending)

    def judge(self, alert: Alert) -> Verdict:
        self.pending.discard(alert.pk)
        if self._in_maintenance(alert):
            return Verdict(MAINTENANCE)
        if any(silence_matches(s, alert) for s in self.silences):
            return Verdict(SILENCED)
        if not rules.opens_record(alert):
            return Verdict(RECORD_ONLY)
        parent = self._down_parent(alert)
        if parent is not None:
            return Verdict(SECONDARY, parent=parent)
        flood = self._flood(alert)
        if flood is not None:
            return Verdict(FLOOD, flood=flood)
        return Verdict("")

    def _in_maintenance(self, alert: Alert) -> bool:
        """A maintenance window in force or an implementing change on the alert's CI, on what contains it (its
        line or area), on its class or its site."""
        if alert.ci_id is None:
            return False
        maintenance = self.maintenance
        class_id = alert.ci.ci_class_id if maintenance.by_class and alert.ci is not None else None
        return maintenance.covers(alert.ci_id, area=alert.area, class_id=class_id, site_id=alert.site_id)

    def _down_parent(self, alert: Alert) -> Alert | None:
        """The open primary alert, with an incident being worked, of the nearest CI this alert's CI depends
        on or sends its data through (its `connected_to` links: a PLC's comm loss while its gateway is down).
        CIs of the alert's own class are peers, not parents: two PLCs linked to each other stay apart."""
        if alert.ci is None:
            return None
        self.before_lookup()
        own_class = alert.ci.ci_class.name
        reached = [(i.name, i.ci_class, i.depth) for i in impact(alert.ci, "upstream", depth=6, limit=2000).items]
        reached += [(hop.name, hop.ci_class, hop.depth) for hop in data_path(alert.ci)]
        depth_of: dict[str, int] = {}
        for name, ci_class, depth in reached:
            if ci_class != own_class:
                depth_of[name] = min(depth, depth_of.get(name, depth))
        if not depth_of:
            return None
        candidates = Alert.objects.filter(
            state=Alert.OPEN, parent__isnull=True, severity__in=DOWN_SEVERITIES, ci__name__in=list(depth_of),
            incident__state__in=OPEN_STATES,
        ).exclude(pk__in=self.pending).select_related("ci", "incident")  # fmt: skip
        return min(candidates, key=lambda a: (depth_of[a.ci.name if a.ci else ""], a.pk), default=None)

    def _flood(self, alert: Alert) -> AlarmFlood | None:
        """ISA-18.2: more than FLOOD_ALARMS alarms within FLOOD_SECONDS in one area is a flood; the alarms
        after the threshold join the area's flood (one incident) instead of opening their own. Counted on
        the alerts' own (received) times, so a backlog processed late is judged as it happened."""
        if not alert.area:
            return None
        window = timedelta(seconds=settings.EVENTS_FLOOD_SECONDS)
        since = alert.opened_at - window
        current = self.floods.get(alert.area)
        if current is None or current.last_alert_at < since:
            current = (
                AlarmFlood.objects.select_for_update(of=("self",))
                .filter(area=alert.area, last_alert_at__gte=since)
                .select_related("incident")
                .order_by("-last_alert_at")
                .first()
            )
        if current is not None and current.incident is not None and current.incident.state not in OPEN_STATES:
            current = None  # that flood's incident is over: a new flood starts
        if current is None:
            earlier = Q(opened_at__lt=alert.opened_at) | Q(opened_at=alert.opened_at, pk__lte=alert.pk)
            alarms = Alert.objects.filter(earlier, area=alert.area, opened_at__gt=since, suppressed__in=["", FLOOD])
            if alarms.exclude(pk__in=self.recorded).count() <= settings.EVENTS_FLOOD_ALARMS:
                return None
            current = AlarmFlood(area=alert.area, started_at=alert.opened_at, last_alert_at=alert.opened_at)
        current.last_alert_at = max(current.last_alert_at, alert.opened_at)
        current.alert_count += 1
        if current.pk is None:
            current.save()
        self.floods[alert.area] = current
        return current

    def save_floods(self) -> None:
        for flood in self.floods.values():
            flood.save(update_fields=["last_alert_at", "alert_count", "incident"])


def matcher_value(alert: Alert, name: str) -> str:
    if name == "ci":
        return alert.ci.name if alert.ci else ""
    if name == "site":
        return alert.site.code if alert.site else ""
    return str(getattr(alert, name) or "")


def silence_matches(silence: Silence, alert: Alert) -> bool:
    return all(fnmatchcase(matcher_value(alert, f), str(p)) for f, p in silence.matchers.items())
