"""Where a CI stands: the line (or any location class) that holds it, through `located_in` and `contains`.

`A located_in B` and `B contains A` both put A inside B. Walking up from many CIs at once costs one query
per level, never one per CI (problem candidates group a month of incidents by line).
"""

from __future__ import annotations

from collections.abc import Iterable

from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types

MAX_LEVELS = 6


def enclosing(ci_ids: Iterable[int], ci_class: str = "line") -> dict[int, ConfigurationItem]:
    """For each CI id, the nearest CI of class `ci_class` holding it (itself if it is one); CIs in none are
    left out."""
    types = relationship_types()
    located_in, contains = types.get("located_in"), types.get("contains")
    start = set(ci_ids)
    classes = dict(ConfigurationItem.objects.filter(pk__in=start).values_list("pk", "ci_class__name"))
    found: dict[int, int] = {pk: pk for pk, name in classes.items() if name == ci_class}
    # frontier: the CIs reached at this level -> the starting CIs they stand for
    frontier: dict[int, set[int]] = {pk: {pk} for pk in start if pk not in found}
    seen = set(frontier)
    for _level in range(MAX_LEVELS):
        if not frontier or (located_in is None and contains is None):
            break
        parents: dict[int, set[int]] = {}
        if located_in is not None:
            for child, parent in Relationship.objects.filter(type=located_in, source__in=frontier).values_list(
                "source", "target"
            ):
                parents.setdefault(parent, set()).update(frontier[child])
        if contains is not None:
            for parent, child in Relationship.objects.filter(type=contains, target__in=frontier).values_list(
                "source", "target"
            ):
                parents.setdefault(parent, set()).update(frontier[child])
        parent_classes = dict(ConfigurationItem.objects.filter(pk__in=parents).values_list("pk", "ci_class__name"))
        frontier = {}
        for parent, origins in parents.items():
            pending = {o for o in origins if o not in found}
            if parent_classes.get(parent) == ci_class:
                for origin in pending:
                    found[origin] = parent
            elif parent not in seen and pending:
                frontier[parent] = pending
                seen.add(parent)
    rows = ConfigurationItem.objects.in_bulk(set(found.values()))
    return {origin: rows[line] for origin, line in found.items() if line in rows}
