"""Impact analysis: breadth-first over typed relationships, level by level in the database.

Each level is one indexed `IN (...)` query per edge direction over the frontier, so the cost follows the
number of CIs reached, not the size of the CMDB; cycles are harmless (each CI is visited once) and the
first path found to a CI is a shortest one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import connection

from plantdesk.cmdb.choices import ImpactDirection
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import ci_classes, relationship_types

Direction = Literal["downstream", "upstream"]
BATCH = 5000
MAX_DEPTH = 50


@dataclass(frozen=True)
class ImpactItem:
    name: str
    ci_class: str
    depth: int
    path: list[str]


@dataclass(frozen=True)
class ImpactResult:
    root: ConfigurationItem
    items: list[ImpactItem]
    truncated: bool

    def of_class(self, *classes: str) -> list[ImpactItem]:
        return [i for i in self.items if i.ci_class in classes]


def impact(
    root: ConfigurationItem, direction: Direction = "downstream", depth: int = 10, limit: int = 10_000
) -> ImpactResult:
    """What a failure of `root` impacts (downstream) or what `root` needs (upstream)."""
    types = relationship_types().values()
    toward_source = [t.pk for t in types if t.impact in (ImpactDirection.TARGET_TO_SOURCE, ImpactDirection.BOTH)]
    toward_target = [t.pk for t in types if t.impact in (ImpactDirection.SOURCE_TO_TARGET, ImpactDirection.BOTH)]
    if direction == "upstream":
        toward_source, toward_target = toward_target, toward_source
    parent: dict[int, int | None] = {root.pk: None}
    level: dict[int, int] = {root.pk: 0}
    frontier = [root.pk]
    truncated = False
    for current_depth in range(1, min(depth, MAX_DEPTH) + 1):
        found = _next_level(frontier, toward_source, toward_target, parent)
        for ci_id, via in found:
            if ci_id in parent:
                continue
            if len(parent) > limit:
                truncated = True
                break
            parent[ci_id] = via
            level[ci_id] = current_depth
        frontier = [ci_id for ci_id, d in level.items() if d == current_depth]
        if truncated or not frontier:
            break
    else:
        # The depth limit stopped us: is there anything beyond it?
        truncated = bool(frontier) and bool(_next_level(frontier, toward_source, toward_target, parent))
    return ImpactResult(root, _items(root, parent, level), truncated)


def _edges(column: str, ids: list[int], types: list[int]) -> list[tuple[int, int]]:
    """(source, target) of the relationships whose `column` is in `ids` and type in `types`.

    On PostgreSQL the ids travel as one array parameter: composing an `IN (...)` of thousands of
    placeholders cost more than the query itself.
    """
    if connection.vendor == "postgresql":
        table = Relationship._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT source_id, target_id FROM {table} WHERE {column} = ANY(%s) AND type_id = ANY(%s)",  # noqa: S608
                [ids, types],
            )
            return [(int(s), int(t)) for s, t in cursor.fetchall()]
    rows = Relationship.objects.filter(**{f"{column}__in": ids, "type_id__in": types})
    return list(rows.values_list("source_id", "target_id"))


def _next_level(
    frontier: list[int], toward_source: list[int], toward_target: list[int], seen: dict[int, int | None]
) -> list[tuple[int, int]]:
    """(reached CI, the CI it was reached from) for every edge leaving the frontier in the impact direction."""
    found: list[tuple[int, int]] = []
    for start in range(0, len(frontier), BATCH):
        chunk = frontier[start : start + BATCH]
        if toward_source:
            found += [(s, t) for s, t in _edges("target_id", chunk, toward_source) if s not in seen]
        if toward_target:
            found += [(t, s) for s, t in _edges("source_id", chunk, toward_target) if t not in seen]
    return found


def _items(root: ConfigurationItem, parent: dict[int, int | None], level: dict[int, int]) -> list[ImpactItem]:
    ids = [i for i in parent if i != root.pk]
    info: dict[int, tuple[str, str]] = {root.pk: (root.name, root.ci_class.name)}
    classes = {c.pk: c.name for c in ci_classes().values()}
    for start in range(0, len(ids), BATCH):
        rows = ConfigurationItem.objects.filter(pk__in=ids[start : start + BATCH]).order_by()
        info.update({pk: (name, classes[cls]) for pk, name, cls in rows.values_list("pk", "name", "ci_class_id")})
    items = []
    for ci_id in sorted(ids, key=lambda i: (level[i], info[i][0])):
        path: list[str] = []
        node: int | None = ci_id
        while node is not None:
            path.append(info[node][0])
            node = parent[node]
        items.append(ImpactItem(name=info[ci_id][0], ci_class=info[ci_id][1], depth=level[ci_id], path=path[::-1]))
    return items
