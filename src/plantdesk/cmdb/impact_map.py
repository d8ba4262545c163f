"""Layout of an impact analysis as a layered map: one column per depth, the root on the left.

Edges follow the shortest path the analysis found (each item's parent is `path[-2]`), so the map is a tree.
Ordering each column by the position of the parents in the column before keeps those edges from crossing.
The template only draws what this module computes; no JavaScript lays anything out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from plantdesk.cmdb.impact import ImpactResult

NODE_WIDTH = 156
NODE_HEIGHT = 46
COLUMN_GAP = 26
ROW_GAP = 12
PADDING = 12
HEADER = 30
MAX_LABEL = 19

# What a plant cares about first: the lines that stop and the business services that fail.
HIGHLIGHT = {"line": "line", "business_service": "service"}


@dataclass(frozen=True)
class MapNode:
    name: str
    ci_class: str
    class_label: str
    depth: int
    kind: str  # root, line, service or other
    linked: bool  # False for CIs the viewer may not open (another site)
    x: int
    y: int

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= MAX_LABEL else self.name[: MAX_LABEL - 1] + "…"

    @property
    def width(self) -> int:
        return NODE_WIDTH

    @property
    def height(self) -> int:
        return NODE_HEIGHT

    @property
    def text_x(self) -> int:
        return self.x + 10

    @property
    def name_y(self) -> int:
        return self.y + 20

    @property
    def class_y(self) -> int:
        return self.y + 37


@dataclass(frozen=True)
class MapEdge:
    source: str
    target: str
    path: str  # SVG path data: a horizontal S-curve from the parent's right side to the child's left side
    hot: bool  # ends at a line or service


@dataclass(frozen=True)
class MapColumn:
    depth: int
    label: str
    x: int


@dataclass(frozen=True)
class ImpactMap:
    nodes: list[MapNode]
    edges: list[MapEdge]
    columns: list[MapColumn]
    width: int
    height: int


def layout(
    result: ImpactResult, *, linkable: Collection[str], class_label: Callable[[str], str] = lambda c: c
) -> ImpactMap:
    """Coordinates for every item of `result`; `linkable` names the CIs the viewer may open."""
    root = result.root
    columns: dict[int, list[tuple[str, str, str | None]]] = {0: [(root.name, root.ci_class.name, None)]}
    for item in result.items:
        via = item.path[-2] if len(item.path) > 1 else root.name
        columns.setdefault(item.depth, []).append((item.name, item.ci_class, via))
    rank: dict[str, int] = {root.name: 0}
    for depth in sorted(columns)[1:]:
        # Items arrive sorted by name within a depth; sorted() is stable, so siblings stay alphabetical.
        columns[depth].sort(key=lambda entry: rank.get(entry[2] or "", 0))
        rank.update({name: index for index, (name, _, _) in enumerate(columns[depth])})
    tallest = max(len(column) for column in columns.values())
    height = PADDING * 2 + HEADER + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    nodes: dict[str, MapNode] = {}
    parents: dict[str, str] = {}
    for depth, column in sorted(columns.items()):
        x = PADDING + depth * (NODE_WIDTH + COLUMN_GAP)
        used = len(column) * NODE_HEIGHT + (len(column) - 1) * ROW_GAP
        top = PADDING + HEADER + (height - PADDING * 2 - HEADER - used) // 2  # centre short columns
        for index, (name, ci_class, parent) in enumerate(column):
            kind = "root" if depth == 0 else HIGHLIGHT.get(ci_class, "other")
            y = top + index * (NODE_HEIGHT + ROW_GAP)
            nodes[name] = MapNode(name, ci_class, class_label(ci_class), depth, kind, name in linkable, x, y)
            if parent is not None:
                parents[name] = parent
    edges = [_edge(nodes[parent], nodes[child]) for child, parent in parents.items() if parent in nodes]
    width = PADDING * 2 + len(columns) * NODE_WIDTH + (len(columns) - 1) * COLUMN_GAP
    labels = [MapColumn(d, _column_label(d), PADDING + d * (NODE_WIDTH + COLUMN_GAP)) for d in sorted(columns)]
    return ImpactMap(nodes=list(nodes.values()), edges=edges, columns=labels, width=width, height=height)


def _edge(parent: MapNode, child: MapNode) -> MapEdge:
    x1, y1 = parent.x + NODE_WIDTH, parent.y + NODE_HEIGHT // 2
    x2, y2 = child.x, child.y + NODE_HEIGHT // 2
    bend = (x2 - x1) // 2
    path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    return MapEdge(parent.name, child.name, path, hot=child.kind in ("line", "service"))


def _column_label(depth: int) -> str:
    if depth == 0:
        return "This CI"
    return "1 step" if depth == 1 else f"{depth} steps"
