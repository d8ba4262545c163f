"""What is under maintenance right now: the one answer change enablement and alert suppression share.

A CI is under maintenance while an occurrence of a maintenance window covering it is in force (the window's
CIs and everything they contain, its CI classes, its sites: the scope rule conflict detection applies), or
while a change on it is being implemented, up to an hour past the change's planned end (an implementation
overrunning by more than that is news again). The plant enters its Saturday-night window once: changes are
allowed in it, and the alarms it causes are recorded without incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from plantdesk.changes.choices import State, WindowKind
from plantdesk.changes.containment import contents_of
from plantdesk.changes.models import ChangeCI, Window, WindowCI
from plantdesk.changes.windows import occurrences

IMPLEMENT_GRACE = timedelta(hours=1)
_ONE_SECOND = timedelta(seconds=1)


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


def windows_in_force(now: datetime) -> list[Window]:
    """The active maintenance windows with an occurrence covering `now` (a handful, read once per batch)."""
    series = Window.objects.filter(kind=WindowKind.MAINTENANCE, active=True, start__lte=now).filter(
        Q(last_end__isnull=True) | Q(last_end__gt=now)
    )
    return [w for w in series if any(occurrences(w.start, w.end, w.rrule, w.time_zone, now, now + _ONE_SECOND))]


def under_maintenance(now: datetime) -> UnderMaintenance:
    windows = windows_in_force(now)
    ids = [w.pk for w in windows]
    links = list(WindowCI.objects.filter(window_id__in=ids).values_list("ci_id", "ci__name")) if ids else []
    classes = Window.ci_classes.through.objects.filter(window_id__in=ids).values_list("ciclass_id", flat=True)
    sites = Window.sites.through.objects.filter(window_id__in=ids).values_list("site_id", flat=True)
    implementing = list(
        ChangeCI.objects.filter(
            active=True, change__state=State.IMPLEMENT, planned_end__gt=now - IMPLEMENT_GRACE
        ).values_list("ci_id", "ci__name")
    )
    window_cis = {ci for ci, _ in links}
    return UnderMaintenance(
        ci_ids=frozenset((contents_of(window_cis) if window_cis else set()) | {ci for ci, _ in implementing}),
        names=frozenset(name for _, name in [*links, *implementing]),
        class_ids=frozenset(classes) if ids else frozenset(),
        site_ids=frozenset(sites) if ids else frozenset(),
    )
