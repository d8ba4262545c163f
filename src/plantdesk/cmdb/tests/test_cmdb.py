"""CMDB: validation, relationships by class, retirement, audit, and impact analysis on a known graph."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.cmdb.actions import do_create_ci, do_create_relationship, do_retire_ci, do_update_ci
from plantdesk.cmdb.impact import impact
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.core.audit import verify_chain
from plantdesk.core.errors import Conflict, Forbidden, InvalidInput
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import ApiClient, Plant


def ci(plant: Plant, name: str, ci_class: str, **fields: Any) -> ConfigurationItem:
    return do_create_ci({"name": name, "ci_class": ci_class, "site": "ber", **fields}, actor=plant.agent)


def relate(plant: Plant, source: str, rel: str, target: str) -> None:
    do_create_relationship(source, rel, target, actor=plant.agent)


@pytest.fixture
def line3(plant: Plant) -> Plant:
    """Line 3 at Berlin: a batch-recording service on MES, MES on a VM on a host that needs the core switch;
    the line contains a cell with the filler PLC, which is linked to the switch (adjacency, no impact); a
    deliberate cycle between the MES application and its database (each 'uses' the other)."""
    for name, cls in [
        ("SVC-L3-BATCH", "business_service"), ("BER-MES-APP01", "application"), ("BER-MES-DB01", "database"),
        ("BER-VM-017", "virtual_machine"), ("BER-ESX-03", "server"), ("BER-SW-CORE1", "network_device"),
        ("BER-L3", "line"), ("BER-L3-C1", "cell"), ("BER-L3-PLC01", "plc"), ("BER-L3-HMI01", "hmi"),
    ]:  # fmt: skip
        ci(plant, name, cls)
    relate(plant, "SVC-L3-BATCH", "depends_on", "BER-MES-APP01")
    relate(plant, "BER-MES-APP01", "runs_on", "BER-VM-017")
    relate(plant, "BER-VM-017", "hosted_on", "BER-ESX-03")
    relate(plant, "BER-ESX-03", "depends_on", "BER-SW-CORE1")
    relate(plant, "BER-MES-APP01", "uses", "BER-MES-DB01")
    relate(plant, "BER-MES-DB01", "uses", "BER-MES-APP01")  # the cycle
    relate(plant, "BER-L3", "contains", "BER-L3-C1")
    relate(plant, "BER-L3-C1", "contains", "BER-L3-PLC01")
    relate(plant, "BER-L3-HMI01", "depends_on", "BER-L3-PLC01")
    relate(plant, "BER-L3-PLC01", "connected_to", "BER-SW-CORE1")
    return plant


def names(result: Any) -> dict[str, int]:
    return {i.name: i.depth for i in result.items}


def test_downstream_of_the_switch_reaches_the_service_through_the_cycle_not_the_linked_plc(line3: Plant) -> None:
    result = impact(ConfigurationItem.objects.get(name="BER-SW-CORE1"), "downstream", depth=10)
    assert names(result) == {
        "BER-ESX-03": 1, "BER-VM-017": 2, "BER-MES-APP01": 3, "SVC-L3-BATCH": 4, "BER-MES-DB01": 4,
    }  # fmt: skip
    by_name = {i.name: i for i in result.items}
    assert by_name["SVC-L3-BATCH"].path == ["BER-SW-CORE1", "BER-ESX-03", "BER-VM-017", "BER-MES-APP01", "SVC-L3-BATCH"]
    assert [i.name for i in result.of_class("business_service")] == ["SVC-L3-BATCH"]
    assert result.of_class("line") == []  # the PLC is only linked to the switch: the line keeps running
    assert result.truncated is False


def test_downstream_of_the_plc_is_its_cell_line_and_hmi(line3: Plant) -> None:
    result = impact(ConfigurationItem.objects.get(name="BER-L3-PLC01"), "downstream", depth=10)
    assert names(result) == {"BER-L3-C1": 1, "BER-L3-HMI01": 1, "BER-L3": 2}


def test_depth_limit_cuts_and_says_so(line3: Plant) -> None:
    result = impact(ConfigurationItem.objects.get(name="BER-SW-CORE1"), "downstream", depth=2)
    assert max(i.depth for i in result.items) == 2
    assert result.truncated is True
    assert impact(ConfigurationItem.objects.get(name="SVC-L3-BATCH"), "downstream", depth=1).truncated is False


def test_upstream_is_what_a_ci_needs(line3: Plant) -> None:
    result = impact(ConfigurationItem.objects.get(name="SVC-L3-BATCH"), "upstream", depth=10)
    # The PLC is only linked to the switch (no impact), so the service needs none of the line's CIs.
    assert names(result) == {
        "BER-MES-APP01": 1, "BER-VM-017": 2, "BER-MES-DB01": 2, "BER-ESX-03": 3, "BER-SW-CORE1": 4,
    }  # fmt: skip


def test_bad_input_names_the_field_and_writes_nothing(plant: Plant) -> None:
    ci(plant, "BER-VM-017", "virtual_machine", aliases=["bervm017.plant.local"])
    audit_before = AuditEntry.objects.count()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "X1", "ci_class": "toaster"}, "ci_class"),
        ({"name": "X1", "ci_class": "plc", "attributes": {"colour": "red"}}, "attributes.colour"),
        ({"name": "X1", "ci_class": "virtual_machine", "attributes": {"cpu_cores": "four"}}, "attributes.cpu_cores"),
        ({"name": "X1", "ci_class": "application", "attributes": {"app_type": "game"}}, "attributes.app_type"),
        ({"name": "BER-VM-017", "ci_class": "server"}, "name"),
        ({"name": "X1", "ci_class": "server", "aliases": ["bervm017.plant.local"]}, "aliases"),
        ({"name": "X1", "ci_class": "server", "status": "broken"}, "status"),
        ({"name": "X1", "ci_class": "server", "site": "mars"}, "site"),
        ({"name": "X1", "ci_class": "server", "security_level_target": 7}, "security_level_target"),
        ({"name": "X1", "ci_class": "server", "next_periodic_review": "next year"}, "next_periodic_review"),
    ]
    for data, field in cases:
        with pytest.raises(InvalidInput) as refused:
            do_create_ci(data, actor=plant.agent)
        assert field in [e.field for e in refused.value.errors], (data, refused.value.errors)
    assert ConfigurationItem.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("field", "value"),
    [("gxp_relevant", "yes"), ("part11_applicable", 1), ("gamp_category", True), ("security_level_target", "2")],
)
def test_booleans_and_numbers_over_the_api_are_json_ones(plant: Plant, field: str, value: Any) -> None:
    """pydantic's lax reading took "yes" and 1 for true and true for 1: invalid data accepted."""
    refused = ApiClient(plant.admin).post("/cis", {"name": "X1", "ci_class": "server", "site": "ber", field: value})
    assert refused.status_code == 422, refused.content
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert not ConfigurationItem.objects.exists()


def test_relationship_types_check_their_classes_and_ends(plant: Plant) -> None:
    ci(plant, "BER-MES-APP01", "application")
    ci(plant, "BER-L3-PLC01", "plc")
    with pytest.raises(InvalidInput) as refused:
        relate(plant, "BER-MES-APP01", "runs_on", "BER-L3-PLC01")  # a PLC is no host
    assert [e.field for e in refused.value.errors] == ["target"]
    with pytest.raises(InvalidInput) as missing:
        relate(plant, "BER-MES-APP01", "depends_on", "BER-NOPE")
    assert [e.field for e in missing.value.errors] == ["target"]
    with pytest.raises(InvalidInput) as unknown_type:
        relate(plant, "BER-MES-APP01", "loves", "BER-L3-PLC01")
    assert [e.field for e in unknown_type.value.errors] == ["type"]
    relate(plant, "BER-MES-APP01", "depends_on", "BER-L3-PLC01")
    with pytest.raises(InvalidInput):
        relate(plant, "BER-MES-APP01", "depends_on", "BER-L3-PLC01")  # twice
    assert Relationship.objects.count() == 1


def test_retire_never_deletes_and_every_change_is_audited(plant: Plant) -> None:
    item = ci(plant, "BER-HIST01", "historian", criticality="high", aliases=["hist01"])
    do_update_ci(item, {"criticality": "critical", "aliases": ["hist01", "10.1.2.3"]}, actor=plant.agent)
    with pytest.raises(InvalidInput):
        do_retire_ci(item, " ", actor=plant.agent)
    do_retire_ci(item, "Replaced by BER-HIST02", actor=plant.agent)
    item.refresh_from_db()
    assert item.status == "retired"
    with pytest.raises(Conflict):
        do_update_ci(item, {"criticality": "low"}, actor=plant.agent)
    trail = [(e.action, e.field, e.old, e.new) for e in AuditEntry.objects.filter(record_type="ci", record_id=item.pk)]
    assert ("updated", "criticality", "high", "critical") in trail
    assert ("updated", "aliases", "hist01", "10.1.2.3, hist01") in trail
    assert ("retired", "status", "in_service", "retired") in trail
    assert verify_chain().ok


def test_requesters_read_but_do_not_change_the_cmdb(plant: Plant) -> None:
    ci(plant, "BER-WS-01", "workstation")
    with pytest.raises(Forbidden):
        do_create_ci({"name": "X", "ci_class": "server"}, actor=plant.requester)
    rita = ApiClient(plant.requester)
    assert rita.get("/cis/BER-WS-01").status_code == 200
    assert rita.patch("/cis/BER-WS-01", {"criticality": "low"}).status_code == 403  # readable, not changeable
    assert ApiClient(plant.agent_sin).get("/cis/BER-WS-01").status_code == 404  # Berlin's CI


def test_api_round_trip_and_impact(line3: Plant) -> None:
    api = ApiClient(line3.agent)
    created = api.post(
        "/cis",
        {"name": "BER-L3-PLC02", "ci_class": "plc", "site": "ber", "criticality": "critical", "gxp_relevant": True,
         "aliases": ["L3/Filler02", "10.30.0.12"], "attributes": {"vendor": "Siemens", "model": "S7-1500"}},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["aliases"] == ["10.30.0.12", "L3/Filler02"]
    assert (
        api.post("/relationships", {"source": "BER-L3-C1", "type": "contains", "target": "BER-L3-PLC02"}).status_code
        == 201
    )
    bad = api.post("/cis", {"name": "X", "ci_class": "plc", "site": "ber", "attributes": {"vendor": 42}})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "attributes.vendor"
    listed = api.get("/cis", ci_class="plc").json()
    assert [c["name"] for c in listed["items"]] == ["BER-L3-PLC01", "BER-L3-PLC02"]
    assert api.get("/cis", q="10.30.0.12").json()["items"][0]["name"] == "BER-L3-PLC02"
    classes = {c["name"] for c in api.get("/ci-classes").json()["items"]}
    assert {"plc", "hmi", "line", "business_service", "ot_gateway"} <= classes
    body = api.get("/cis/BER-SW-CORE1/impact", direction="downstream", depth=10).json()
    assert body["root"] == "BER-SW-CORE1"
    assert body["services"] == ["SVC-L3-BATCH"]
    assert body["lines"] == []
    assert api.get("/cis/BER-L3-PLC01/impact", direction="downstream").json()["lines"] == ["BER-L3"]
    assert body["truncated"] is False
    assert {"name", "ci_class", "depth", "path"} <= set(body["items"][0])
    rels = api.get("/relationships", ci="BER-L3-C1").json()["items"]
    assert {(r["source"], r["type"], r["target"]) for r in rels} == {
        ("BER-L3", "contains", "BER-L3-C1"), ("BER-L3-C1", "contains", "BER-L3-PLC01"),
        ("BER-L3-C1", "contains", "BER-L3-PLC02"),
    }  # fmt: skip
    assert api.get("/cis/NOPE/impact").status_code == 404
    assert api.get("/cis/BER-L3/impact", depth=0).status_code == 422
