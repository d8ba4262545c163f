"""Conflict detection for one change (DOMAIN.md section 3): a fixed number of indexed queries, whatever
the size of the CMDB or of the schedule.

1. The change's CIs, the CIs related to them through the CMDB (both directions, CHANGE_CONFLICT_DEPTH
   levels, at most RELATED_LIMIT CIs), and their containers (line, area, site CIs through `contains` and
   `located_in`), which window scopes name.
2. Other active changes holding one of those CIs in an overlapping window (one index range per CI), and
   the assignee's other changes in the window.
3. The windows scoped to a CI, a container, a class or a site of the change's CIs whose first occurrence
   starts before the change ends and whose last one does not end before it starts; their occurrences
   are expanded in Python for the change's interval only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from plantdesk.changes.choices import ACTIVE_STATES, BLOCKING_RUN_STATES, ConflictKind, WindowKind
from plantdesk.changes.models import ChangeCI, ChangeRequest, Window, WindowCI
from plantdesk.changes.windows import Occurrence, covers, occurrences
from plantdesk.cmdb.models import ConfigurationItem, Relationship, RelationshipType

RELATED_LIMIT = 5000
CONTAINER_DEPTH = 4  # cell -> line -> area -> site -> enterprise
CONTAINMENT_TYPES = ("contains", "located_in")


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
    scope = _scope(ci_ids)
    if ci_ids:
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


def _scope(ci_ids: list[int]) -> _Scope:
    rows = ConfigurationItem.objects.filter(pk__in=ci_ids).values_list("pk", "name", "ci_class_id", "site_id")
    scope = _Scope(ci_ids=ci_ids, names={}, classes={}, sites={})
    for pk, name, class_id, site_id in rows:
        scope.names[pk], scope.classes[pk], scope.sites[pk] = name, class_id, site_id
    scope.containers = _containers(ci_ids)
    return scope


def _containment_type_ids() -> dict[str, int]:
    return dict(RelationshipType.objects.filter(name__in=CONTAINMENT_TYPES).values_list("name", "pk"))


def _containers(ci_ids: list[int]) -> dict[int, set[int]]:
    """Container CI -> the change CIs it (transitively) holds, the CIs themselves included."""
    types = _containment_type_ids()
    inside: dict[int, set[int]] = {ci: {ci} for ci in ci_ids}
    frontier = set(ci_ids)
    for _ in range(CONTAINER_DEPTH):
        if not frontier or not types:
            break
        edges = Relationship.objects.filter(
            Q(type_id=types.get("contains"), target_id__in=frontier)
            | Q(type_id=types.get("located_in"), source_id__in=frontier)
        ).values_list("source_id", "target_id", "type_id")
        nxt: set[int] = set()
        for source, target, type_id in edges:
            child, parent = (target, source) if type_id == types.get("contains") else (source, target)
            if parent not in inside:
                nxt.add(parent)
            inside.setdefault(parent, set()).update(inside[child])
        frontier = nxt
    return inside


def related_ci_ids(ci_ids: list[int], depth: int) -> set[int]:
    """The CIs within `depth` relationships of any of `ci_ids` (either direction, any type), themselves too."""
    reached = set(ci_ids)
    frontier = set(ci_ids)
    for _ in range(max(depth, 0)):
        if not frontier or len(reached) >= RELATED_LIMIT:
            break
        edges = Relationship.objects.filter(Q(source_id__in=frontier) | Q(target_id__in=frontier)).values_list(
            "source_id", "target_id"
        )[: RELATED_LIMIT * 2]
        nxt = {ci for pair in edges for ci in pair} - reached
        reached |= nxt
        frontier = nxt
    return reached


def _overlapping_changes(
    scope: _Scope, related: set[int], start: datetime, end: datetime, exclude: int | None
) -> list[Found]:
    links = (
        ChangeCI.objects.filter(active=True, ci_id__in=sorted(related), planned_start__lt=end, planned_end__gt=start)
        .exclude(change_id=exclude or 0)
        .values_list("change_id", "change__number", "ci_id", "ci__name")
        .order_by("change__number", "ci__name")
    )
    found: list[Found] = []
    seen: set[int] = set()
    for change_id, number, ci_id, ci_name in links:
        if change_id in seen:
            continue  # one conflict per other change is enough to act on
        seen.add(change_id)
        mine = ci_id in scope.names
        detail = (
            f"{number} also changes {ci_name} in an overlapping window."
            if mine
            else f"{number} changes {ci_name}, related to this change's CIs, in an overlapping window."
        )
        found.append(Found(ConflictKind.CI_OVERLAP, detail, ci_id=ci_id, ci_name=ci_name,
                           other_change_id=change_id, other_number=number))  # fmt: skip
    return found


def _assignee_overlaps(assignee_id: int, start: datetime, end: datetime, exclude: int | None) -> list[Found]:
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


def _window_conflicts(scope: _Scope, start: datetime, end: datetime) -> list[Found]:
    covered = _windows_covering(scope, start, end)  # window -> the change CIs it applies to
    windows = {w.pk: w for w in Window.objects.filter(pk__in=covered)}
    found: list[Found] = []
    maintenance: dict[int, list[Occurrence]] = defaultdict(list)  # change CI -> its maintenance occurrences
    for window_id in sorted(covered):
        window = windows[window_id]
        occ = list(occurrences(window.start, window.end, window.rrule, window.time_zone, start, end))
        cis = sorted(covered[window_id], key=lambda c: scope.names[c])
        if window.kind == WindowKind.MAINTENANCE:
            for ci in cis:
                maintenance[ci] += occ
            continue
        if not occ:
            continue
        ci = cis[0]
        names = ", ".join(scope.names[c] for c in cis)
        if window.kind == WindowKind.BLACKOUT:
            detail = f"Blackout '{window.name}' covers {names} from {occ[0].start:%Y-%m-%d %H:%M} UTC."
            kind = ConflictKind.BLACKOUT
        else:
            detail = (
                f"Production run '{window.name}' ({window.run_state}) on {names} "
                f"{occ[0].start:%Y-%m-%d %H:%M}-{occ[0].end:%Y-%m-%d %H:%M} UTC."
            )
            kind = ConflictKind.PRODUCTION_RUN
        found.append(Found(kind, detail, ci_id=ci, ci_name=scope.names[ci], window_id=window_id,
                           window_name=window.name))  # fmt: skip
    for ci in sorted(_cis_with_maintenance(scope, covered, windows), key=lambda c: scope.names[c]):
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


def _cis_with_maintenance(scope: _Scope, covered: dict[int, set[int]], windows: dict[int, Window]) -> set[int]:
    return {ci for wid, cis in covered.items() if windows[wid].kind == WindowKind.MAINTENANCE for ci in cis}


def _windows_covering(scope: _Scope, start: datetime, end: datetime) -> dict[int, set[int]]:
    """Window id -> the change CIs it applies to, for the windows that may overlap [start, end).

    Maintenance windows are taken whatever their dates: a CI that has any is "in a maintenance regime",
    and a change outside all of them conflicts.
    """
    overlapping = Q(start__lt=end) & (Q(last_end__isnull=True) | Q(last_end__gt=start))
    relevant = Q(active=True) & (
        Q(kind=WindowKind.MAINTENANCE)
        | (Q(kind=WindowKind.BLACKOUT) & overlapping)
        | (Q(kind=WindowKind.PRODUCTION_RUN, run_state__in=BLOCKING_RUN_STATES) & overlapping)
    )
    covered: dict[int, set[int]] = defaultdict(set)
    by_ci = WindowCI.objects.filter(ci_id__in=sorted(scope.containers)).filter(
        window__in=Window.objects.filter(relevant).values("pk")
    )
    for window_id, container in by_ci.values_list("window_id", "ci_id"):
        covered[window_id] |= scope.containers[container]
    class_ids = set(scope.classes.values())
    through_class = Window.ci_classes.through.objects.filter(
        ciclass_id__in=sorted(class_ids), window__in=Window.objects.filter(relevant).values("pk")
    )
    for window_id, class_id in through_class.values_list("window_id", "ciclass_id"):
        covered[window_id] |= {ci for ci, c in scope.classes.items() if c == class_id}
    site_ids = {s for s in scope.sites.values() if s is not None}
    through_site = Window.sites.through.objects.filter(
        site_id__in=sorted(site_ids), window__in=Window.objects.filter(relevant).values("pk")
    )
    for window_id, site_id in through_site.values_list("window_id", "site_id"):
        covered[window_id] |= {ci for ci, s in scope.sites.items() if s == site_id}
    return covered
