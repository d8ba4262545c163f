"""What is under maintenance right now: the one answer change enablement and alert suppression share.

A CI is under maintenance while an occurrence of a maintenance window covering it is in force (the window's
CIs and everything they contain, its CI classes, its sites: the scope rule conflict detection applies), or
while a change on it is being implemented, up to an hour past the change's planned end (an implementation
overrunning by more than that is news again). The plant enters its Saturday-night window once: changes are
allowed in it, and the alarms it causes are recorded without incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Q

from plantdesk.changes.choices import State, WindowKind
from plantdesk.changes.containment import contents_of
from plantdesk.changes.models import ChangeCI, Window, WindowCI
from plantdesk.changes.windows import occurrences
from plantdesk.core.config_cache import ConfigCache, config_cache

IMPLEMENT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class UnderMaintenance:
    ci_ids: frozenset[int]  # covered CIs: the windows' CIs with their contents, the implementing changes' CIs
    names: frozenset[str]  # the windows' and the changes' own CIs by name (an alert names its line or area)
    class_ids: frozenset[int]
    site_ids: frozenset[int]

    def covers(
        self, ci_id: int | None, *, area: str = "", class_id: int | None = None, site_id: int | None = None
    ) -> bool:
        if ci_id is None:
            return False
        return (
            ci_id in self.ci_ids
            or bool(area and area in self.names)
            or (class_id is not None and class_id in self.class_ids)
            or (site_id is not None and site_id in self.site_ids)
        )

    @property
    def by_class(self) -> bool:
        return bool(self.class_ids)


@dataclass(frozen=True)
class _InForce:
    """What the maintenance windows in force cover, valid from `since` until `until` (the first instant at
    which an occurrence starts or ends, at most CONFIG_CACHE_SECONDS) while `version` (the newest change to
    any maintenance window, and their number: one aggregate query) stays the same, so a CI put in maintenance
    in any process counts at the next batch. (A change of the CMDB's containment counts within
    CONFIG_CACHE_SECONDS.) A plant has thousands of recurring windows: expanding
    each on every event batch would cost most of a second per batch."""

    ci_ids: frozenset[int]
    names: frozenset[str]
    class_ids: frozenset[int]
    site_ids: frozenset[int]
    since: datetime
    until: datetime
    version: tuple[Any, ...]


_cache: ConfigCache[dict[str, _InForce]] = config_cache(dict)


def _windows_in_force(now: datetime) -> _InForce:
    maintenance = Window.objects.filter(kind=WindowKind.MAINTENANCE)
    version = tuple(maintenance.aggregate(changed=Max("updated_at"), n=Count("id")).values())
    cached = _cache.get().get("in_force")
    if cached is not None and cached.version == version and cached.since <= now < cached.until:
        return cached
    horizon = now + timedelta(seconds=settings.CONFIG_CACHE_SECONDS)
    series = maintenance.filter(active=True, start__lt=horizon).filter(Q(last_end__isnull=True) | Q(last_end__gt=now))
    ids, until = [], horizon
    for window in series.only("pk", "start", "end", "rrule", "time_zone"):
        for occ in occurrences(window.start, window.end, window.rrule, window.time_zone, now, horizon):
            if occ.start <= now:
                ids.append(window.pk)
                until = min(until, occ.end)
            else:
                until = min(until, occ.start)
                break
    links = list(WindowCI.objects.filter(window_id__in=ids).values_list("ci_id", "ci__name")) if ids else []
    classes = Window.ci_classes.through.objects.filter(window_id__in=ids).values_list("ciclass_id", flat=True)
    sites = Window.sites.through.objects.filter(window_id__in=ids).values_list("site_id", flat=True)
    window_cis = {ci for ci, _ in links}
    found = _InForce(
        ci_ids=frozenset(contents_of(window_cis)) if window_cis else frozenset(),
        names=frozenset(name for _, name in links),
        class_ids=frozenset(classes) if ids else frozenset(),
        site_ids=frozenset(sites) if ids else frozenset(),
        since=now,
        until=until,
        version=version,
    )
    _cache.get()["in_force"] = found
    return found


def under_maintenance(now: datetime) -> UnderMaintenance:
    windows = _windows_in_force(now)
    implementing = list(  # never cached: a change moves to implement and its alerts are expected at once
        ChangeCI.objects.filter(
            active=True, change__state=State.IMPLEMENT, planned_end__gt=now - IMPLEMENT_GRACE
        ).values_list("ci_id", "ci__name")
    )
    return UnderMaintenance(
        ci_ids=windows.ci_ids | {ci for ci, _ in implementing},
        names=windows.names | {name for _, name in implementing},
        class_ids=windows.class_ids,
        site_ids=windows.site_ids,
    )
