"""Impact analysis from the in-memory graph gives the SQL walk's answers, and is never used stale."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from plantdesk.cmdb import impact as impact_module
from plantdesk.cmdb.actions import do_create_ci, do_create_relationship, do_delete_relationship, do_update_ci
from plantdesk.cmdb.impact import ImpactItem, ImpactResult, impact, load_graph
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types
from plantdesk.testing.fixtures import Plant

CIS = [
    ("P-SW", "network_device"), ("P-SRV1", "server"), ("P-SRV2", "server"), ("P-VM1", "virtual_machine"),
    ("P-VM2", "virtual_machine"), ("P-APP1", "application"), ("P-APP2", "application"), ("P-DB", "database"),
    ("P-SVC", "business_service"), ("P-LINE", "line"), ("P-CELL", "cell"), ("P-PLC1", "plc"), ("P-PLC2", "plc"),
    ("P-SUPPLY", "business_service"), ("P-SCADA", "scada_server"),
]  # fmt: skip
# Every way a failure travels: toward sources (depends_on, hosted_on, runs_on, uses, contains), toward targets
# (serves), and not at all (connected_to: the SCADA link carries nothing).
RELATIONSHIPS = [
    ("P-SRV1", "depends_on", "P-SW"), ("P-SRV2", "depends_on", "P-SW"), ("P-VM1", "hosted_on", "P-SRV1"),
    ("P-VM2", "hosted_on", "P-SRV2"), ("P-VM2", "hosted_on", "P-SRV1"), ("P-APP1", "runs_on", "P-VM1"),
    ("P-APP2", "runs_on", "P-VM2"), ("P-APP1", "uses", "P-DB"), ("P-DB", "uses", "P-APP1"),  # a cycle
    ("P-APP2", "uses", "P-APP1"), ("P-SVC", "depends_on", "P-APP1"), ("P-SVC", "depends_on", "P-APP2"),
    ("P-LINE", "contains", "P-CELL"), ("P-CELL", "contains", "P-PLC1"), ("P-CELL", "contains", "P-PLC2"),
    ("P-PLC2", "uses", "P-PLC1"), ("P-PLC1", "depends_on", "P-SW"), ("P-LINE", "serves", "P-SUPPLY"),
    ("P-PLC1", "connected_to", "P-SCADA"), ("P-SCADA", "connected_to", "P-SW"),
]  # fmt: skip


@pytest.fixture
def graph(plant: Plant, monkeypatch: pytest.MonkeyPatch) -> Iterator[Plant]:
    monkeypatch.setattr(impact_module, "BACKGROUND_LOAD", False)
    for name, ci_class in CIS:
        do_create_ci({"name": name, "ci_class": ci_class, "site": "ber"}, actor=plant.agent)
    for source, rel, target in RELATIONSHIPS:
        do_create_relationship(source, rel, target, actor=plant.agent)
    yield plant
    impact_module._cache.clear()  # the graph belongs to this test's rolled-back data


def _summary(result: ImpactResult) -> tuple[list[tuple[int, str]], bool]:
    return [(i.depth, i.name) for i in result.items], result.truncated


def _edges() -> set[tuple[str, str]]:
    """(from, to) pairs a failure travels along, downstream."""
    types = relationship_types()
    pairs: set[tuple[str, str]] = set()
    for source, type_name, target in Relationship.objects.values_list("source__name", "type__name", "target__name"):
        direction = types[type_name].impact
        if direction in ("target_to_source", "both"):
            pairs.add((target, source))
        if direction in ("source_to_target", "both"):
            pairs.add((source, target))
    return pairs


def _assert_shortest_paths(root: str, items: list[ImpactItem], edges: set[tuple[str, str]], upstream: bool) -> None:
    for item in items:
        assert item.path[0] == root
        assert item.path[-1] == item.name
        assert len(item.path) == item.depth + 1
        for a, b in itertools.pairwise(item.path):
            assert ((b, a) if upstream else (a, b)) in edges


@pytest.mark.parametrize("direction", ["downstream", "upstream"])
def test_the_graph_walk_answers_as_the_sql_walk(graph: Plant, direction: impact_module.Direction) -> None:
    roots = list(ConfigurationItem.objects.filter(name__startswith="P-").select_related("ci_class"))
    cases = [(root, depth, limit) for root in roots for depth in (1, 2, 3, 10) for limit in (1, 2, 5, 10_000)]
    from_sql = [impact(root, direction, depth, limit) for root, depth, limit in cases]
    assert load_graph(direction)
    assert impact_module._cache.current(direction, impact_module._edge_types(direction)) is not None
    edges = _edges()
    for (root, depth, limit), sql in zip(cases, from_sql, strict=True):
        memory = impact(root, direction, depth, limit)
        if sql.truncated and len(sql.items) == limit:
            # The limit cut the last level: which of its CIs are kept may differ, not how many per depth.
            assert [i.depth for i in memory.items] == [i.depth for i in sql.items]
            assert memory.truncated
        else:
            assert _summary(memory) == _summary(sql), (root.name, depth, limit)
        _assert_shortest_paths(root.name, memory.items, edges, upstream=direction == "upstream")
        _assert_shortest_paths(root.name, sql.items, edges, upstream=direction == "upstream")


def test_known_answers_from_the_graph(graph: Plant) -> None:
    assert load_graph("downstream")
    result = impact(ConfigurationItem.objects.get(name="P-SW"), "downstream", depth=10)
    depths = {i.name: i.depth for i in result.items}
    assert depths == {
        "P-SRV1": 1, "P-SRV2": 1, "P-PLC1": 1, "P-VM1": 2, "P-VM2": 2, "P-CELL": 2, "P-PLC2": 2,
        "P-APP1": 3, "P-APP2": 3, "P-LINE": 3, "P-DB": 4, "P-SVC": 4, "P-SUPPLY": 4,
    }  # fmt: skip
    assert [i.name for i in result.items][:3] == ["P-PLC1", "P-SRV1", "P-SRV2"]  # depth, then name
    assert result.truncated is False
    assert impact(ConfigurationItem.objects.get(name="P-SW"), "downstream", depth=2).truncated is True


def test_a_new_relationship_is_seen_at_once(graph: Plant) -> None:
    assert load_graph("downstream")
    do_create_ci({"name": "P-SVC2", "ci_class": "business_service", "site": "ber"}, actor=graph.agent)
    do_create_relationship("P-SVC2", "depends_on", "P-APP2", actor=graph.agent)
    assert impact_module._cache.current("downstream", impact_module._edge_types("downstream")) is None
    names = {i.name for i in impact(ConfigurationItem.objects.get(name="P-SW"), "downstream").items}
    assert "P-SVC2" in names
    assert load_graph("downstream")
    assert "P-SVC2" in {i.name for i in impact(ConfigurationItem.objects.get(name="P-SW"), "downstream").items}


def test_a_removed_relationship_and_a_rename_are_seen_at_once(graph: Plant) -> None:
    assert load_graph("downstream")
    rel = Relationship.objects.get(source__name="P-SVC", target__name="P-APP2")
    do_delete_relationship(rel, actor=graph.agent)
    assert impact_module._cache.current("downstream", impact_module._edge_types("downstream")) is None
    assert load_graph("downstream")
    do_update_ci(ConfigurationItem.objects.get(name="P-LINE"), {"name": "P-LINE-3"}, actor=graph.agent)
    names = {i.name for i in impact(ConfigurationItem.objects.get(name="P-SW"), "downstream").items}
    assert "P-LINE-3" in names
    assert "P-LINE" not in names


def test_an_unrelated_ci_change_keeps_the_graph(graph: Plant) -> None:
    assert load_graph("downstream")
    do_update_ci(ConfigurationItem.objects.get(name="P-DB"), {"description": "Batch records"}, actor=graph.agent)
    do_create_ci({"name": "P-LONELY", "ci_class": "server", "site": "ber"}, actor=graph.agent)
    assert impact_module._cache.current("downstream", impact_module._edge_types("downstream")) is not None
    lonely = impact(ConfigurationItem.objects.get(name="P-LONELY"), "downstream")
    assert lonely.items == []
    assert lonely.truncated is False


def test_paths_are_lazy_but_equal(graph: Plant) -> None:
    assert load_graph("downstream")
    result = impact(ConfigurationItem.objects.get(name="P-SW"), "downstream")
    svc = next(i for i in result.items if i.name == "P-SVC")
    assert svc.path in (["P-SW", "P-SRV1", "P-VM1", "P-APP1", "P-SVC"], ["P-SW", "P-SRV2", "P-VM2", "P-APP2", "P-SVC"])
    assert svc == ImpactItem("P-SVC", "business_service", 4, list(svc.path))
    assert "path=" in repr(svc)
