"""The demo plant as `plantdesk demo` loads it reads true to an OT engineer: a PLC failing stops its own cell,
line and HMI and the supply service its line produces for, nothing on the other lines and nothing the PLC is
merely linked to (SCADA, the OT gateway)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from plantdesk.cmdb.actions import do_create_relationship
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.cmdb.impact import impact
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.composition.demo import load_demo
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db

# What a failure of each line's PLC impacts, written out by hand from the plant's drawings.
PLC_IMPACT = {
    "BER-L1-PLC01": {"BER-L1-C1", "BER-L1", "BER-L1-HMI01", "SVC-BER-ORAL"},
    "BER-L2-PLC01": {"BER-L2-C1", "BER-L2", "BER-L2-HMI01", "SVC-BER-ORAL"},
    "BER-L3-PLC01": {"BER-L3-C1", "BER-L3", "BER-L3-HMI01", "SVC-BER-STERILE"},
    "BER-L4-PLC01": {"BER-L4-C1", "BER-L4", "BER-L4-HMI01", "SVC-BER-STERILE"},
    "SIN-L1-PLC01": {"SIN-L1-C1", "SIN-L1", "SIN-L1-HMI01", "SVC-SIN-TABLETS"},
    "SIN-L2-PLC01": {"SIN-L2-C1", "SIN-L2", "SIN-L2-HMI01", "SVC-SIN-TABLETS"},
}


@pytest.fixture
def demo(db: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), tick=False):
        load_demo()


def downstream(name: str) -> dict[str, int]:
    result = impact(ConfigurationItem.objects.get(name=name), "downstream", depth=10)
    assert result.truncated is False
    return {item.name: item.depth for item in result.items}


def test_each_plc_impacts_exactly_its_line_and_the_service_the_line_serves(demo: None) -> None:
    for plc, expected in PLC_IMPACT.items():
        assert set(downstream(plc)) == expected, plc
    assert downstream("BER-L3-PLC01") == {"BER-L3-C1": 1, "BER-L3-HMI01": 1, "BER-L3": 2, "SVC-BER-STERILE": 3}
    result = impact(ConfigurationItem.objects.get(name="BER-L3-PLC01"), "downstream")
    assert [i.path for i in result.of_class("business_service")] == [
        ["BER-L3-PLC01", "BER-L3-C1", "BER-L3", "SVC-BER-STERILE"]
    ]


def test_links_and_locations_stop_nothing_dependencies_still_do(demo: None) -> None:
    # A line stop does not stop its area or site (the line is located in the area).
    assert downstream("BER-L3") == {"SVC-BER-STERILE": 1}
    # SCADA and the gateways are linked to every PLC of their site, but the lines keep running without them.
    for name in ("BER-SCADA01", "BER-OTGW01", "SIN-SCADA01", "SIN-OTGW01"):
        assert downstream(name) == {}, name
    # The lines depend on electronic batch recording: MES failing stops them and what they serve.
    reached = downstream("BER-MES-APP01")
    assert {"BER-L1", "BER-L2", "BER-L3", "BER-L4", "SVC-BER-BATCH", "SVC-BER-ORAL", "SVC-BER-STERILE"} <= set(reached)
    assert not any(name.startswith("SIN-") for name in reached)


def test_an_older_demo_cmdb_loses_the_relationships_that_rolled_line_stops_up_to_the_site(plant: Plant) -> None:
    load_demo_cmdb(plant.admin)
    do_create_relationship("BER-AREA-PROD", "contains", "BER-L3", actor=plant.admin)  # as the demo used to
    assert "BER-AREA-PROD" in downstream("BER-L3-PLC01")
    load_demo_cmdb(plant.admin)
    assert set(downstream("BER-L3-PLC01")) == PLC_IMPACT["BER-L3-PLC01"]
    assert not Relationship.objects.filter(source__name="BER-AREA-PROD", type__name="contains").exists()
