"""Noise control for an alert that (re)opens: maintenance, silences, topology and ISA-18.2 floods decide
whether it may open an incident of its own (DOMAIN.md section 7). Flapping is decided by dedup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from django.conf import settings
from django.db.models import Q

from plantdesk.cmdb.impact import impact
from plantdesk.events.models import AlarmFlood, Alert, MaintenanceWindow, Silence

MAINTENANCE, SILENCED, SECONDARY, FLOOD, FLAPPING, RECORD_ONLY = (
    "maintenance", "silenced", "secondary", "flood", "flapping", "record_only",
)  # fmt: skip
DOWN_SEVERITIES = ("critical", "major")  # an open alert this severe means its CI is down for its dependants
MATCHABLE = ("source", "node", "resource", "type", "metric", "severity", "dedup_key", "area", "ci", "site")


@dataclass(frozen=True)
class Verdict:
    reason: str  # empty: the alert may open an incident
    parent: Alert | None = None
    flood: AlarmFlood | None = None


def matcher_value(alert: Alert, field: str) -> str:
    if field == "ci":
        return alert.ci.name if alert.ci else ""
    if field == "site":
        return alert.site.code if alert.site else ""
    return str(getattr(alert, field) or "")


def silence_matches(silence: Silence, alert: Alert) -> bool:
    return all(fnmatchcase(matcher_value(alert, f), str(p)) for f, p in silence.matchers.items())


def active_silences(now: datetime) -> list[Silence]:
    return list(Silence.objects.filter(starts_at__lte=now, ends_at__gt=now, expired_early_at__isnull=True))


def judge(alert: Alert, now: datetime, silences: list[Silence]) -> Verdict:
    if _in_maintenance(alert, now):
        return Verdict(MAINTENANCE)
    if any(silence_matches(s, alert) for s in silences):
        return Verdict(SILENCED)
    parent = _down_parent(alert)
    if parent is not None:
        return Verdict(SECONDARY, parent=parent)
    flood = _flood(alert, now)
    if flood is not None:
        return Verdict(FLOOD, flood=flood)
    return Verdict("")


def _in_maintenance(alert: Alert, now: datetime) -> bool:
    """A window on the alert's CI, or on the line or area it belongs to, covers it."""
    if alert.ci_id is None:
        return False
    covered = Q(ci_id=alert.ci_id) | (Q(ci__name=alert.area) if alert.area else Q(pk__in=[]))
    return MaintenanceWindow.objects.filter(covered, starts_at__lte=now, ends_at__gt=now).exists()


def _down_parent(alert: Alert) -> Alert | None:
    """The open primary alert of the nearest CI this alert's CI depends on, if that CI is down. CIs of the
    alert's own class are peers, not parents: two PLCs on one gateway reach each other through it."""
    if alert.ci is None:
        return None
    own_class = alert.ci.ci_class.name
    needs = [i for i in impact(alert.ci, "upstream", depth=6, limit=2000).items if i.ci_class != own_class]
    if not needs:
        return None
    depth_of = {item.name: item.depth for item in needs}
    candidates = Alert.objects.filter(
        state=Alert.OPEN, parent__isnull=True, severity__in=DOWN_SEVERITIES, ci__name__in=list(depth_of)
    ).select_related("ci", "incident")
    return min(candidates, key=lambda a: (depth_of[a.ci.name if a.ci else ""], a.pk), default=None)


def _flood(alert: Alert, now: datetime) -> AlarmFlood | None:
    """ISA-18.2: more than FLOOD_ALARMS alarms in FLOOD_SECONDS in one area is a flood; the alarms after
    the threshold join the area's flood (one incident) instead of opening their own."""
    if not alert.area:
        return None
    window = timedelta(seconds=getattr(settings, "EVENTS_FLOOD_SECONDS", 600))
    current = (
        AlarmFlood.objects.select_for_update()
        .filter(area=alert.area, last_alert_at__gte=now - window)
        .order_by("-last_alert_at")
        .first()
    )
    if current is None:
        earlier = Q(opened_at__lt=alert.opened_at) | Q(opened_at=alert.opened_at, pk__lte=alert.pk)  # itself included
        recent = Alert.objects.filter(earlier, area=alert.area, opened_at__gt=now - window).count()
        if recent <= getattr(settings, "EVENTS_FLOOD_ALARMS", 10):
            return None
        current = AlarmFlood(area=alert.area, started_at=now, last_alert_at=now)
    current.last_alert_at = max(current.last_alert_at, now)
    current.alert_count += 1
    current.save()
    return current
