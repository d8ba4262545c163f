"""Conflict detection for one change (DOMAIN.md section 3): a bounded number of indexed queries, whatever
the size of the CMDB or of the schedule (`find_conflicts`: at most containment.DEPTH + depth + 6).
bench/changes.py measures it on 1M CIs.

1. The change's CIs (one query) and their containers: line, area, site CIs through `contains` and
   `located_in`, which window scopes name (one query per containment level).
2. The CIs related to the change's CIs through the CMDB (both directions, any type, `depth` levels, at
   most RELATED_LIMIT CIs; one query per level), then the other active changes holding one of those CIs
   in an overlapping interval: one range of the partial index on ChangeCI per CI.
3. The windows scoped to a CI or a container of one, to a CI class or to a site of the change's CIs (one
   query per scope kind, the window's columns joined in). Blackouts and blocking production runs are read
   only when their series may overlap the change; occurrences are expanded in Python for the change's
   interval only, and only for windows whose series may overlap it.
4. The assignee's other active changes in the interval (the partial index on ChangeRequest).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL

from plantdesk.changes.choices import ACTIVE_STATES, BLOCKING_RUN_STATES, ConflictKind, WindowKind
from plantdesk.changes.containment import held_by
from plantdesk.changes.models import ChangeCI, ChangeRequest, Window, WindowCI
from plantdesk.changes.windows import Occurrence, covers, occurrences
from plantdesk.cmdb.models import ConfigurationItem, Relationship

RELATED_LIMIT = 5000
# PLC -> cell -> line -> area -> site -> enterprise: the demo CMDB's deepest chain is 5 levels.


@dataclass(frozen=True)
class Found:
    kind: str
    detail: str
    ci_id: int | None = None
    ci_name: str = ""
    window_id: int | None = None
    window_name: str = ""
    other_change_id: int | None = None
    other_number: str = ""

    @property
    def key(self) -> str:
        other = f"w{self.window_id}" if self.window_id else f"c{self.other_change_id or ''}"
        return f"{self.kind}:{self.ci_id or ''}:{other}"


@dataclass
class _Scope:
    """The change's CIs and what windows may name to cover them."""

    ci_ids: list[int]
    names: dict[int, str]
    classes: dict[int, int]  # ci -> class id
    sites: dict[int, int | None]  # ci -> site id
    containers: dict[int, set[int]] = field(default_factory=dict)  # container ci -> change CIs inside it


@dataclass(frozen=True)
class _Window:
    id: int
    kind: str
    name: str
    start: datetime
    end: datetime
    rrule: str
    time_zone: str
    last_end: datetime | None
    run_state: str

    def may_overlap(self, start: datetime, end: datetime) -> bool:
        """The series (first occurrence to last) meets [start, end): only then can an occurrence."""
        return self.start < end and (self.last_end is None or self.last_end > start)

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        if not self.may_overlap(start, end):
            return []
        return list(occurrences(self.start, self.end, self.rrule, self.time_zone, start, end))


_WINDOW_FIELDS = ("id", "kind", "name", "start", "end", "rrule", "time_zone", "last_end", "run_state")


def find_conflicts(
    *,
    ci_ids: Iterable[int],
    start: datetime | None,
    end: datetime | None,
    assignee_id: int | None = None,
    exclude_change_id: int | None = None,
    depth: int | None = None,
) -> list[Found]:
    ci_ids = sorted(set(ci_ids))
    if start is None or end is None:
        return []
    found: list[Found] = []
    if ci_ids:
        scope = _scope(ci_ids)
        related = related_ci_ids(ci_ids, settings.CHANGE_CONFLICT_DEPTH if depth is None else depth)
        found += _overlapping_changes(scope, related, start, end, exclude_change_id)
        found += _window_conflicts(scope, start, end)
    if assignee_id is not None:
        found += _assignee_overlaps(assignee_id, start, end, exclude_change_id)
    return found


def conflicts_of(change: ChangeRequest) -> list[Found]:
    return find_conflicts(
        ci_ids=[link.ci_id for link in change.ci_links.all()],
        start=change.planned_start,
        end=change.planned_end,
        assignee_id=change.assignee_id,
        exclude_change_id=change.pk,
    )


# ------------------------------------------------------------------------------------------ CMDB side


def _scope(ci_ids: list[int]) -> _Scope:
    rows = (
        ConfigurationItem.objects.filter(pk__in=ci_ids).order_by().values_list("pk", "name", "ci_class_id", "site_id")
    )
    scope = _Scope(ci_ids=ci_ids, names={}, classes={}, sites={})
    for pk, name, class_id, site_id in rows:
        scope.names[pk], scope.classes[pk], scope.sites[pk] = name, class_id, site_id
    scope.ci_ids = [ci for ci in ci_ids if ci in scope.names]  # an id of no CI covers nothing and names nothing
    scope.containers = held_by(scope.ci_ids)
    return scope


def related_ci_ids(ci_ids: list[int], depth: int) -> set[int]:
    """The CIs within `depth` relationships of any of `ci_ids` (either direction, any type), themselves too.

    A hub (a core switch, a shared database) can have tens of thousands of neighbours: a level reads at
    most RELATED_LIMIT * 2 edges and the walk stops once RELATED_LIMIT CIs are reached, which bounds the
    overlap query that follows.
    """
    reached = set(ci_ids)
    frontier = set(ci_ids)
    for _ in range(max(depth, 0)):
        if not frontier or len(reached) >= RELATED_LIMIT:
            break
        edges = Relationship.objects.filter(
            _among(Relationship, "source_id", frontier) | _among(Relationship, "target_id", frontier)
        ).values_list("source_id", "target_id")[: RELATED_LIMIT * 2]
        nxt = {ci for pair in edges for ci in pair} - reached
        reached |= nxt
        frontier = nxt
    return reached


def _among(model: type[Model], column: str, ids: Collection[int]) -> Q:
    """`column IN ids`. On PostgreSQL the ids travel as one array literal (`= ANY`): the 10,000 CIs related to
    a hub then cost a fraction of composing, sending and parsing 10,000 placeholders."""
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": sorted(ids)})
    # Table and column come from the model, the ids are one parameter: nothing of the caller's is in the SQL.
    condition = f'"{model._meta.db_table}"."{column}" = ANY(%s::bigint[])'
    array = "{" + ",".join(str(int(i)) for i in sorted(ids)) + "}"
    return Q(RawSQL(condition, [array], output_field=BooleanField()))  # noqa: S611


# ---------------------------------------------------------------------------------- other changes


def _overlapping_changes(
    scope: _Scope, related: set[int], start: datetime, end: datetime, exclude: int | None
) -> list[Found]:
    # Reads ChangeCI's copies of the change's interval and state, so the partial index
    # (ci, planned_start) INCLUDE (planned_end, change) WHERE active answers the range per CI.
    links = (
        ChangeCI.objects.filter(
            _among(ChangeCI, "ci_id", related), active=True, planned_start__lt=end, planned_end__gt=start
        )
        .exclude(change_id=exclude or 0)
        .values_list("change_id", "change__number", "ci_id", "ci__name")
    )
    # One conflict per other change is enough to act on; name a CI of this change over a related one.
    best: dict[int, tuple[bool, str, str, int]] = {}
    for change_id, number, ci_id, ci_name in links:
        candidate = (ci_id not in scope.names, ci_name, number, ci_id)
        if change_id not in best or candidate < best[change_id]:
            best[change_id] = candidate
    found: list[Found] = []
    for change_id, (related_only, ci_name, number, ci_id) in sorted(best.items(), key=lambda item: item[1][2]):
        detail = (
            f"{number} changes {ci_name}, related to this change's CIs, in an overlapping window."
            if related_only
            else f"{number} also changes {ci_name} in an overlapping window."
        )
        found.append(Found(ConflictKind.CI_OVERLAP, detail, ci_id=ci_id, ci_name=ci_name,
                           other_change_id=change_id, other_number=number))  # fmt: skip
    return found


def _assignee_overlaps(assignee_id: int, start: datetime, end: datetime, exclude: int | None) -> list[Found]:
    # state IN ACTIVE_STATES repeats the partial index's condition (change_assignee_idx) word for word,
    # which is what lets PostgreSQL use it.
    others = (
        ChangeRequest.objects.filter(
            state__in=ACTIVE_STATES, assignee_id=assignee_id, planned_start__lt=end, planned_end__gt=start
        )
        .exclude(pk=exclude or 0)
        .values_list("pk", "number", "assignee__username")
        .order_by("number")
    )
    return [
        Found(
            ConflictKind.ASSIGNEE_OVERLAP,
            f"{username} is also assigned {number} in an overlapping window.",
            other_change_id=pk,
            other_number=number,
        )
        for pk, number, username in others
    ]


# ---------------------------------------------------------------------------------------- windows


def _window_conflicts(scope: _Scope, start: datetime, end: datetime) -> list[Found]:
    windows, covered = _windows_covering(scope, start, end)  # window -> the change CIs it applies to
    found: list[Found] = []
    regime: set[int] = set()  # change CIs with maintenance windows: a change must fit in them
    maintenance: dict[int, list[Occurrence]] = defaultdict(list)
    for window_id in sorted(covered):
        window = windows[window_id]
        cis = sorted(covered[window_id], key=lambda c: scope.names[c])
        occ = window.occurrences(start, end)
        if window.kind == WindowKind.MAINTENANCE:
            regime.update(cis)
            for ci in cis:
                maintenance[ci] += occ
            continue
        if not occ:
            continue
        ci = cis[0]
        names = ", ".join(scope.names[c] for c in cis)
        if window.kind == WindowKind.BLACKOUT:
            # Times as ISO text: the API returns them as they are, a page writes them in its own zone.
            detail = f"Blackout '{window.name}' covers {names} from {_iso(occ[0].start)}."
            kind = ConflictKind.BLACKOUT
        else:
            detail = (
                f"Production run '{window.name}' ({window.run_state}) on {names} "
                f"{_iso(occ[0].start)} to {_iso(occ[0].end)}."
            )
            kind = ConflictKind.PRODUCTION_RUN
        found.append(Found(kind, detail, ci_id=ci, ci_name=scope.names[ci], window_id=window_id,
                           window_name=window.name))  # fmt: skip
    for ci in sorted(regime, key=lambda c: scope.names[c]):
        if not covers(maintenance[ci], start, end):
            found.append(
                Found(
                    ConflictKind.OUTSIDE_MAINTENANCE_WINDOW,
                    f"{scope.names[ci]} has maintenance windows and the change is outside all of them.",
                    ci_id=ci,
                    ci_name=scope.names[ci],
                )
            )
    return found


def _relevant(prefix: str, start: datetime, end: datetime) -> Q:
    """The windows that can matter to a change in [start, end), as a condition on `prefix`-ed fields.

    Every kind only while its series is in force around the change (first occurrence before the change
    ends, last one not ended before it starts). A CI with maintenance windows in force is "in a maintenance
    regime": a change outside all their occurrences conflicts; a series that has ended imposes nothing.
    """

    def q(**lookups: object) -> Q:
        return Q(**{prefix + name: value for name, value in lookups.items()})

    overlapping = q(start__lt=end) & (q(last_end__isnull=True) | q(last_end__gt=start))
    return q(active=True) & (
        (q(kind=WindowKind.MAINTENANCE) & overlapping)
        | (q(kind=WindowKind.BLACKOUT) & overlapping)
        | (q(kind=WindowKind.PRODUCTION_RUN, run_state__in=BLOCKING_RUN_STATES) & overlapping)
    )


def _windows_covering(scope: _Scope, start: datetime, end: datetime) -> tuple[dict[int, _Window], dict[int, set[int]]]:
    """The relevant windows by id, and window id -> the change CIs it applies to.

    One query per scope kind (CI, class, site), each joining the window's columns, so no window is read
    twice and none is read that covers nothing here.
    """
    windows: dict[int, _Window] = {}
    covered: dict[int, set[int]] = defaultdict(set)
    columns = [f"window__{name}" for name in _WINDOW_FIELDS]
    condition = _relevant("window__", start, end)

    def read(rows: Iterable[tuple[Any, ...]], cis_of: dict[int, set[int]]) -> None:
        for scope_id, *values in rows:
            window = _Window(*values)
            windows.setdefault(window.id, window)
            covered[window.id] |= cis_of[scope_id]

    by_ci = WindowCI.objects.filter(condition, ci_id__in=sorted(scope.containers))
    read(by_ci.values_list("ci_id", *columns), scope.containers)
    by_class: dict[int, set[int]] = defaultdict(set)
    for ci, class_id in scope.classes.items():
        by_class[class_id].add(ci)
    through_class = Window.ci_classes.through.objects.filter(condition, ciclass_id__in=sorted(by_class))
    read(through_class.values_list("ciclass_id", *columns), by_class)
    by_site: dict[int, set[int]] = defaultdict(set)
    for ci, site_id in scope.sites.items():
        if site_id is not None:
            by_site[site_id].add(ci)
    if by_site:
        through_site = Window.sites.through.objects.filter(condition, site_id__in=sorted(by_site))
        read(through_site.values_list("site_id", *columns), by_site)
    return windows, covered


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="minutes")
