"""Where a CI sits in the plant (CMDB `contains` / `located_in`) and which windows apply to a set of CIs.

Windows are scoped to CIs, CI classes and sites; a window on a line, an area or a site CI covers what
that CI contains. The schedule needs both directions: a line's calendar shows the changes on what the
line contains (downwards) and the windows put on the line's area or site (upwards).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from plantdesk.changes.models import Window, WindowCI
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types

# cell -> line -> area -> site -> enterprise, with room to spare: one depth for conflict detection, the
# schedule, the free-slot search and alert suppression, so that all of them see the same windows.
DEPTH = 8
# A line holds tens of cells and devices; a site-wide walk stays bounded all the same.
MAX_CIS = 20_000
_BY_CLASS = Window.ci_classes.through
_BY_SITE = Window.sites.through


def _type_ids() -> tuple[int | None, int | None]:
    types = relationship_types()
    contains, located_in = types.get("contains"), types.get("located_in")
    return (contains.pk if contains else None, located_in.pk if located_in else None)


def contents_of(ci_ids: Iterable[int]) -> set[int]:
    """The CIs inside `ci_ids` (transitively), the CIs themselves included: one query per level."""
    contains, located_in = _type_ids()
    reached = set(ci_ids)
    frontier = set(reached)
    for _ in range(DEPTH):
        if not frontier or len(reached) >= MAX_CIS:
            break
        edges = Relationship.objects.filter(
            Q(type_id=contains, source_id__in=sorted(frontier)) | Q(type_id=located_in, target_id__in=sorted(frontier))
        ).values_list("source_id", "target_id", "type_id")
        inner = {target if type_id == contains else source for source, target, type_id in edges}
        frontier = inner - reached
        reached |= frontier
    return reached


def container_links(ci_ids: Iterable[int]) -> dict[int, set[int]]:
    """Part -> its direct containers, for every CI reached walking up from `ci_ids`: one query per level,
    the relationship types as constants (no join on their names: a hub's edges stay one index range)."""
    contains, located_in = _type_ids()
    parents: dict[int, set[int]] = {}
    seen = set(ci_ids)
    frontier = set(seen)
    for _ in range(DEPTH):
        if not frontier:
            break
        ids = sorted(frontier)
        edges = Relationship.objects.filter(
            Q(type_id=contains, target_id__in=ids) | Q(type_id=located_in, source_id__in=ids)
        ).values_list("source_id", "target_id", "type_id")
        frontier = set()
        for source, target, type_id in edges:
            part, container = (target, source) if type_id == contains else (source, target)
            parents.setdefault(part, set()).add(container)
            if container not in seen:
                seen.add(container)
                frontier.add(container)
    return parents


def containers_of(ci_ids: Iterable[int]) -> set[int]:
    """The CIs holding `ci_ids` (their line, area, site, enterprise), the CIs themselves included."""
    ids = set(ci_ids)
    return ids.union(*container_links(ids).values())


def held_by(ci_ids: Iterable[int]) -> dict[int, set[int]]:
    """Container -> which of `ci_ids` it holds (transitively), each CI holding itself. The closure is taken
    after the walk: one of `ci_ids` may contain another (a line and a PLC of it), and what contains the line
    then holds the PLC too, whatever level each was reached at."""
    ids = set(ci_ids)
    links = container_links(ids)
    held: dict[int, set[int]] = {}
    for ci in ids:
        reached, stack = {ci}, [ci]
        while stack:
            node = stack.pop()
            held.setdefault(node, set()).add(ci)
            for container in links.get(node, ()):
                if container not in reached:
                    reached.add(container)
                    stack.append(container)
    return held


def windows_for_cis(ci_ids: Iterable[int]) -> Q:
    """A Window filter: the windows applying to any of `ci_ids`, through the CI, a container of it, its
    class or its site (the scope rule conflict detection applies). Subqueries, so no row repeats."""
    ids = set(ci_ids)
    if not ids:
        return Q(pk__in=[])
    rows = list(ConfigurationItem.objects.filter(pk__in=sorted(ids)).values_list("ci_class_id", "site_id"))
    class_ids = sorted({class_id for class_id, _ in rows})
    site_ids = sorted({site_id for _, site_id in rows if site_id is not None})
    return (
        Q(pk__in=WindowCI.objects.filter(ci_id__in=sorted(containers_of(ids))).values("window_id"))
        | Q(pk__in=_BY_CLASS.objects.filter(ciclass_id__in=class_ids).values("window_id"))
        | Q(pk__in=_BY_SITE.objects.filter(site_id__in=site_ids).values("window_id"))
    )


def windows_for_site(site_id: int) -> Q:
    """A Window filter: the windows applying to something at a site: scoped to the site, to one of its
    CIs, to a class of its CIs, or to a site-less container of it (the enterprise CI)."""
    at_site = ConfigurationItem.objects.filter(site_id=site_id)
    roots = set(at_site.filter(ci_class__name="site").values_list("pk", flat=True))
    above = sorted(containers_of(roots) - roots)
    return (
        Q(pk__in=_BY_SITE.objects.filter(site_id=site_id).values("window_id"))
        | Q(pk__in=WindowCI.objects.filter(ci__site_id=site_id).values("window_id"))
        | Q(pk__in=WindowCI.objects.filter(ci_id__in=above).values("window_id"))
        | Q(pk__in=_BY_CLASS.objects.filter(ciclass_id__in=at_site.values("ci_class_id")).values("window_id"))
    )
