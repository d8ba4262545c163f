"""Impact analysis: breadth-first over typed relationships, from an in-memory graph or level by level in SQL.

Two ways to walk, same answers (shortest paths, cycles visited once, the same `truncated` semantics):

- SQL, level by level: one query per batch of the frontier, both edge directions in one round trip,
  answered from covering indexes, names joined in. The cost follows the number of CIs reached. It serves
  every call while no current in-memory graph exists, so a small CMDB never holds one.
- In memory: a per-process adjacency (CSR arrays of 4-byte node numbers) with every CI's name and class,
  CIs numbered in name order so that results sort as plain ints. Hubs reach 200,000 CIs, and at 1M CIs /
  5M relationships the SQL walk spends most of its time fetching edges and names (about 2 s per hub); in
  memory the whole call takes about 0.3 s, two thirds of it building the 200,000 items. The graph is
  loaded in a background thread once a SQL walk reaches GRAPH_AFTER_REACH CIs (or by `load_graph()`), and
  is used only while it is current.

Currency: migration 0004 keeps `cmdb_graph_version`, bumped by database triggers on every relationship
write and every CI rename or class change, whichever code (or process) writes. Each call reads the
version (one indexed row) and uses the graph only if it was loaded at that version; the caller's own
uncommitted writes bump it too, so they are never missed. Any change sends calls back to SQL until a
reload (rate-limited per process) has caught up.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import Literal, TypeAlias

from django.db import connection, connections

from plantdesk.cmdb.choices import ImpactDirection
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import ci_classes, relationship_types

Direction = Literal["downstream", "upstream"]
StopReason = Literal["depth", "limit"]  # what cut a walk short: its depth or its count of CIs
BATCH = 5000
MAX_DEPTH = 50
GRAPH_AFTER_REACH = 2000  # a SQL walk reaching this many CIs starts loading the in-memory graph
BACKGROUND_LOAD = True  # tests switch it off: a loader thread would not see their uncommitted data
RELOAD_PAUSE = 30.0  # seconds between two load attempts of a process (a busy CMDB changes often)
VERSION_TABLE = "cmdb_graph_version"

log = logging.getLogger(__name__)
Row = tuple[int, int, str, int]  # (CI reached, the CI it was reached from, its name, its class id)
Lookup: TypeAlias = "list[str] | dict[int, str]"  # CI id -> name: the graph's list, or what a SQL walk read
ClassLookup: TypeAlias = "array[int] | dict[int, int]"  # CI id -> class id


class ImpactItem:
    """One CI reached: its name, class, distance from the root and a shortest path (root first, itself last).

    Immutable by convention. `path` is computed on first access from the parent item's path: building
    200,000 lists up front cost as much as the whole walk, and most callers read a handful.
    """

    __slots__ = ("_parent", "_path", "ci_class", "depth", "name")

    def __init__(
        self, name: str, ci_class: str, depth: int, path: list[str] | None = None, via: ImpactItem | None = None
    ) -> None:
        self.name = name
        self.ci_class = ci_class
        self.depth = depth
        self._path = path
        self._parent = via  # the item this one was reached from, when `path` is left to compute

    @property
    def path(self) -> list[str]:
        if self._path is None:
            # Iterative, ancestors first: a long chain of uncomputed parents never recurses.
            chain: list[ImpactItem] = []
            node: ImpactItem | None = self
            while node is not None and node._path is None:
                chain.append(node)
                node = node._parent
            prefix = node._path if node is not None and node._path is not None else []
            for item in reversed(chain):
                item._path = prefix = [*prefix, item.name]
        return self._path  # type: ignore[return-value]  # set just above

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImpactItem):
            return NotImplemented
        return (self.name, self.ci_class, self.depth, self.path) == (
            other.name,
            other.ci_class,
            other.depth,
            other.path,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.ci_class, self.depth, tuple(self.path)))

    def __repr__(self) -> str:
        return f"ImpactItem(name={self.name!r}, ci_class={self.ci_class!r}, depth={self.depth}, path={self.path!r})"


@dataclass(frozen=True)
class ImpactResult:
    root: ConfigurationItem
    items: list[ImpactItem]
    truncated: bool
    stopped_by: StopReason | None = None  # set exactly when truncated: which limit left CIs out

    def of_class(self, *classes: str) -> list[ImpactItem]:
        return [i for i in self.items if i.ci_class in classes]


@dataclass
class _Walk:
    """A walk's result in its own numbering: CI ids (SQL) or the graph's node numbers (name order)."""

    root: int
    parent: dict[int, int]  # every CI reached -> the CI it was reached from (the root maps to itself)
    names: Lookup
    classes: ClassLookup
    by_name: bool = False  # the numbers themselves sort in name order (the graph's)
    levels: list[list[int]] = field(default_factory=list)  # levels[d - 1]: the CIs first reached at depth d
    truncated: bool = False
    stopped_by: StopReason | None = None

    def stop(self, reason: StopReason, truncated: bool) -> None:
        self.truncated = truncated
        self.stopped_by = reason if truncated else None


@dataclass(frozen=True)
class _EdgeTypes:
    toward_source: tuple[int, ...]  # relationship types a failure travels along from target to source
    toward_target: tuple[int, ...]


def impact(
    root: ConfigurationItem, direction: Direction = "downstream", depth: int = 10, limit: int = 10_000
) -> ImpactResult:
    """What a failure of `root` impacts (downstream) or what `root` needs (upstream)."""
    types = _edge_types(direction)
    depth = min(depth, MAX_DEPTH)
    with _gc_paused():  # the walk allocates one object per CI; collections would rescan them all
        graph = _cache.current(direction, types)
        if graph is not None:
            walk = graph.walk(root.pk, depth, limit)
        else:
            walk = _walk_sql(root.pk, types, depth, limit)
            if len(walk.parent) > GRAPH_AFTER_REACH and BACKGROUND_LOAD:
                _cache.load_soon(direction)
        return ImpactResult(root, _items(root, walk), walk.truncated, walk.stopped_by)


def load_graph(direction: Direction = "downstream") -> bool:
    """Load the in-memory graph now, in this thread (a process warming up; tests). True if it is current."""
    return _cache.load(direction)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building a 200,000-item result triggered repeated collections of
    the older generations, which cost as much as the build. Collection is only deferred: whatever is
    garbage is collected once it runs again. Re-enabled only by the call that disabled it, so overlapping
    calls in threads leave it enabled."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _edge_types(direction: Direction) -> _EdgeTypes:
    types = sorted(relationship_types().values(), key=lambda t: t.pk)
    toward_source = tuple(t.pk for t in types if t.impact in (ImpactDirection.TARGET_TO_SOURCE, ImpactDirection.BOTH))
    toward_target = tuple(t.pk for t in types if t.impact in (ImpactDirection.SOURCE_TO_TARGET, ImpactDirection.BOTH))
    if direction == "upstream":
        return _EdgeTypes(toward_target, toward_source)
    return _EdgeTypes(toward_source, toward_target)


def _items(root: ConfigurationItem, walk: _Walk) -> list[ImpactItem]:
    """The items ordered by depth, then name; each one linked to its parent's item for the lazy path.

    A hub builds 200,000 of them, so each level is built by C-level iteration (map, zip): only the
    item's own __init__ runs as Python code per CI.
    """
    class_name = {c.pk: c.name for c in ci_classes().values()}
    item_of = {walk.root: ImpactItem(root.name, "", 0, [root.name])}
    items: list[ImpactItem] = []
    for depth, ids in enumerate(walk.levels, start=1):  # parents first: their items exist already
        ids.sort(key=None if walk.by_name else walk.names.__getitem__)
        level = list(
            map(
                ImpactItem,
                map(walk.names.__getitem__, ids),
                map(class_name.__getitem__, map(walk.classes.__getitem__, ids)),
                repeat(depth),
                repeat(None),
                map(item_of.__getitem__, map(walk.parent.__getitem__, ids)),
            )
        )
        if depth < len(walk.levels):  # the last level has no children to link
            item_of.update(zip(ids, level, strict=True))
        items += level
    return items


# ------------------------------------------------------------------------------------------ SQL walk


def _walk_sql(root_id: int, types: _EdgeTypes, depth: int, limit: int) -> _Walk:
    walk = _Walk(root_id, {root_id: root_id}, names={}, classes={})
    frontier = [root_id]
    for _ in range(depth):
        found, cut = _next_level(frontier, types, walk.parent, room=limit + 1 - len(walk.parent))
        walk.stop("limit", cut)
        if not found:
            return walk
        frontier = [row[0] for row in found]
        walk.levels.append(frontier)
        walk.names.update({row[0]: row[2] for row in found})  # type: ignore[union-attr]  # dicts on this path
        walk.classes.update({row[0]: row[3] for row in found})  # type: ignore[union-attr]
        if walk.truncated:
            return walk
    # The depth limit stopped us: is there anything beyond it? (room 0: stop at the first unseen CI)
    walk.stop("depth", _next_level(frontier, types, walk.parent, room=0)[1])
    return walk


def _next_level(frontier: list[int], types: _EdgeTypes, parent: dict[int, int], room: int) -> tuple[list[Row], bool]:
    """Add to `parent` up to `room` CIs one edge beyond the frontier; (their rows, whether more were left out).

    Batches stop as soon as the room is used up, so a hub's last level reads only what it keeps.
    """
    found: list[Row] = []
    for start in range(0, len(frontier), BATCH):
        new = [row for row in _reached(frontier[start : start + BATCH], types) if row[0] not in parent]
        if len(new) > room:
            del new[room:]
            parent.update({row[0]: row[1] for row in new})
            return found + new, True
        parent.update({row[0]: row[1] for row in new})
        found += new
        room -= len(new)
    return found, False


def _reached(ids: list[int], types: _EdgeTypes) -> list[Row]:
    """One row per CI one edge away from `ids` in the impact direction, with its name and class.

    The database picks one parent per CI and joins the name: one round trip per batch and no second
    lookup. On PostgreSQL the ids travel as one array literal, far cheaper to compose than thousands of
    placeholders (or than the driver's quoting of a list).
    """
    ids_sql, ids_params = _ids_condition(ids)
    edges: list[str] = []
    params: list[int | str] = []
    for column, other, type_ids in (
        ("target_id", "source_id", types.toward_source),
        ("source_id", "target_id", types.toward_target),
    ):
        if type_ids:
            edges.append(
                f"SELECT {other} AS ci, {column} AS via FROM {_REL} WHERE {column} {ids_sql} "  # noqa: S608
                f"AND type_id IN ({', '.join(['%s'] * len(type_ids))})"
            )
            params += [*ids_params, *type_ids]
    if not edges:
        return []
    sql = (
        f"SELECT e.ci, e.via, c.name, c.ci_class_id FROM (SELECT ci, MIN(via) AS via FROM ("  # noqa: S608
        f"{' UNION ALL '.join(edges)}) AS u GROUP BY ci) AS e JOIN {_CI} AS c ON c.id = e.ci"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _ids_condition(ids: list[int]) -> tuple[str, list[int | str]]:
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]
    return f"IN ({', '.join(['%s'] * len(ids))})", list(ids)


_REL = Relationship._meta.db_table
_CI = ConfigurationItem._meta.db_table


# ------------------------------------------------------------------------------------ in-memory graph


@dataclass(frozen=True)
class _Names:
    """Every CI numbered in name order (code point order, as Python sorts): a level of a walk then sorts
    as plain ints, and reading the names of a sorted level walks memory forwards."""

    version: int
    node_of: array[int]  # CI id -> node number (ids without a CI get numbers too, never reached)
    ci_of: array[int]  # node number -> CI id
    names: list[str]  # node number -> name
    classes: array[int]  # node number -> class id


@dataclass(frozen=True)
class _Graph:
    """The impact edges of one direction as CSR arrays by node number (see _Names): the nodes one edge
    beyond node `n` are targets[offsets[n]:offsets[n + 1]]. Never changed once built, so threads share it."""

    version: int
    types: _EdgeTypes
    offsets: array[int]
    targets: array[int]
    names: _Names

    def walk(self, root_id: int, depth: int, limit: int) -> _Walk:
        node_of = self.names.node_of
        # A CI created after the load has no relationship yet (or the version would have moved): a node of
        # its own with no edge, beyond the arrays.
        root = node_of[root_id] if root_id < len(node_of) else len(self.offsets)
        walk = _Walk(root, {root: root}, self.names.names, self.names.classes, by_name=True)
        frontier, room = [root], limit
        for _ in range(depth):
            found, cut = self._next_level(frontier, walk.parent, room)
            walk.stop("limit", cut)
            if not found:
                return walk
            walk.levels.append(found)
            if walk.truncated:
                return walk
            frontier, room = found, room - len(found)
        walk.stop("depth", any(ci not in walk.parent for ci in self._reached(frontier)))
        return walk

    def _next_level(self, frontier: list[int], parent: dict[int, int], room: int) -> tuple[list[int], bool]:
        """Up to `room` CIs one edge beyond the frontier and not seen yet, added to `parent`.

        Set and dict operations only (C loops); Python loops run over the few CIs seen before (cycles,
        back edges) and over what the limit cuts, never over the whole level.
        """
        reached = self._reached(frontier)
        for ci in reached.keys() & parent.keys():
            del reached[ci]
        truncated = len(reached) > room
        if truncated:
            for ci in list(reached)[room:]:
                del reached[ci]
        parent.update(reached)
        return list(reached), truncated

    def _reached(self, frontier: list[int]) -> dict[int, int]:
        """Every node one edge beyond the frontier -> a frontier node it is reached from (C-level per node)."""
        offsets, targets = self.offsets, self.targets
        last = len(offsets) - 1  # the node of a CI created after the load has no edge
        reached: dict[int, int] = {}
        for u in frontier:
            if u < last:
                reached.update(dict.fromkeys(targets[offsets[u] : offsets[u + 1]], u))
        return reached


class _GraphCache:
    """This process's graphs, one per direction; replaced whole on reload, never mutated."""

    def __init__(self) -> None:
        self._graphs: dict[str, _Graph] = {}
        self._lock = threading.Lock()
        self._loading: set[str] = set()
        self._last_attempt: dict[str, float] = {}

    def current(self, direction: Direction, types: _EdgeTypes) -> _Graph | None:
        graph = self._graphs.get(direction)
        if graph is None or graph.types != types or graph.version != _version():
            return None
        return graph

    def load_soon(self, direction: Direction) -> None:
        with self._lock:
            now = time.monotonic()
            if direction in self._loading or now - self._last_attempt.get(direction, -RELOAD_PAUSE) < RELOAD_PAUSE:
                return
            self._loading.add(direction)
            self._last_attempt[direction] = now
        threading.Thread(target=self._load_in_background, args=(direction,), daemon=True).start()

    def _load_in_background(self, direction: Direction) -> None:
        try:
            self.load(direction)
        except Exception:  # the SQL walk keeps answering; say why the graph is missing
            log.exception("Loading the in-memory impact graph failed")
        finally:
            with self._lock:
                self._loading.discard(direction)
            connections.close_all()  # this thread's own connection

    def load(self, direction: Direction) -> bool:
        types = _edge_types(direction)
        before = _version()
        names = self._names(before)
        try:
            graph = _load_graph(types, before, names)
        except _Stale:
            return False
        # A write committed during the load bumped the version: what we read may mix two states.
        if _version() != before:
            return False
        self._graphs[direction] = graph
        return True

    def _names(self, version: int) -> _Names:
        """The other direction's names when they are of the same version: 1M names take a second."""
        for graph in self._graphs.values():
            if graph.names.version == version:
                return graph.names
        return _load_names(version)

    def clear(self) -> None:
        self._graphs.clear()


_cache = _GraphCache()


class _Stale(Exception):
    """The graph changed while it was being read."""


def _version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {VERSION_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


_NODE = "i"  # 4-byte node numbers: a 5M-edge graph in 20 MB rather than 40 (ids past 2**31 get 8 bytes)


def _load_graph(types: _EdgeTypes, version: int, names: _Names) -> _Graph:
    """Edges grouped by the CI they leave, in id order, then laid out in node order."""
    edges, params = _edges_sql(types)
    size, node_of = len(names.names), names.node_of
    targets: array[int] = array(node_of.typecode)
    degree: array[int] = array("q", bytes(8 * size))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f, string_agg(t::text, ',') FROM ({edges}) AS e GROUP BY f ORDER BY f"  # noqa: S608
            if connection.vendor == "postgresql"
            else f"SELECT f, group_concat(t, ',') FROM ({edges}) AS e GROUP BY f ORDER BY f",  # noqa: S608
            params,
        )
        # One row per CI with its neighbours as text: ~5x fewer rows to decode than one per edge.
        while rows := cursor.fetchmany(20_000):
            for ci, neighbours in rows:
                if ci >= size:  # a CI created since the names were read: the version check will refuse us
                    raise _Stale
                before = len(targets)
                try:
                    targets.extend(map(node_of.__getitem__, map(int, neighbours.split(","))))
                except IndexError:  # a neighbour created since the names were read
                    raise _Stale from None
                degree[ci] = len(targets) - before
    by_id: array[int] = array("q", [0])
    by_id.extend(accumulate(degree))
    offsets: array[int] = array("q", [0])
    by_node: array[int] = array(node_of.typecode)
    for ci in names.ci_of:
        by_node.extend(targets[by_id[ci] : by_id[ci + 1]])
        offsets.append(len(by_node))
    return _Graph(version, types, offsets, by_node, names)


def _edges_sql(types: _EdgeTypes) -> tuple[str, list[int]]:
    """(from, to) of every edge a failure travels along, as SQL."""
    parts: list[str] = []
    params: list[int] = []
    for column, other, type_ids in (
        ("target_id", "source_id", types.toward_source),
        ("source_id", "target_id", types.toward_target),
    ):
        if type_ids:
            placeholders = ", ".join(["%s"] * len(type_ids))
            parts.append(f"SELECT {column} AS f, {other} AS t FROM {_REL} WHERE type_id IN ({placeholders})")  # noqa: S608
            params += type_ids
    return (" UNION ALL ".join(parts) or f"SELECT id AS f, id AS t FROM {_CI} WHERE 1 = 0"), params  # noqa: S608


def _load_names(version: int) -> _Names:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_CI}")  # noqa: S608
        row = cursor.fetchone()
        size = int(row[0] if row else 0) + 1
        names = [""] * size
        classes: array[int] = array("q", bytes(8 * size))
        cursor.execute(f"SELECT id, name, ci_class_id FROM {_CI}")  # noqa: S608
        while rows := cursor.fetchmany(50_000):
            for ci, name, class_id in rows:
                names[ci] = name
                classes[ci] = class_id
    typecode = _NODE if size < 2**31 else "q"
    ci_of: array[int] = array(typecode, sorted(range(size), key=names.__getitem__))
    node_of: array[int] = array(typecode, bytes(ci_of.itemsize * size))
    for node, ci in enumerate(ci_of):
        node_of[ci] = node
    return _Names(version, node_of, ci_of, [names[ci] for ci in ci_of], array("q", map(classes.__getitem__, ci_of)))
