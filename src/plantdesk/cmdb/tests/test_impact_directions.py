"""Which way a failure travels along each relationship type (docs/cmdb.md, "Which way a failure travels")."""

from __future__ import annotations

import pytest

from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
from plantdesk.cmdb.catalog import RELATIONSHIP_TYPES
from plantdesk.cmdb.impact import Direction, impact
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db

# type: (source class, target class, whose failure impacts the other: "target", "source" or None)
DIRECTIONS = {
    "depends_on": ("business_service", "application", "target"),
    "runs_on": ("application", "virtual_machine", "target"),
    "hosted_on": ("virtual_machine", "server", "target"),
    "uses": ("application", "database", "target"),
    "contains": ("line", "plc", "target"),
    "serves": ("line", "business_service", "source"),
    "connected_to": ("plc", "ot_gateway", None),
    "located_in": ("workstation", "area", None),
}


def test_every_relationship_type_has_its_direction_stated_here() -> None:
    assert set(DIRECTIONS) == set(RELATIONSHIP_TYPES)


@pytest.mark.parametrize("rel_type", sorted(DIRECTIONS))
def test_a_failure_travels_the_stated_way(plant: Plant, rel_type: str) -> None:
    source_class, target_class, failing = DIRECTIONS[rel_type]
    for name, ci_class in (("A", source_class), ("B", target_class)):
        do_create_ci({"name": name, "ci_class": ci_class, "site": "ber"}, actor=plant.admin)
    do_create_relationship("A", rel_type, "B", actor=plant.admin)
    source, target = ConfigurationItem.objects.get(name="A"), ConfigurationItem.objects.get(name="B")

    def reached(ci: ConfigurationItem, direction: Direction) -> list[str]:
        return [i.name for i in impact(ci, direction).items]

    assert reached(target, "downstream") == (["A"] if failing == "target" else [])
    assert reached(source, "downstream") == (["B"] if failing == "source" else [])
    # Upstream is the same edges read the other way: what a CI needs.
    assert reached(source, "upstream") == (["B"] if failing == "target" else [])
    assert reached(target, "upstream") == (["A"] if failing == "source" else [])
