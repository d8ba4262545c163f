"""POST /api/v1/windows/production-runs: job orders from the MES become production-run windows, idempotently by
external_id; one bad row refuses the whole import and nothing is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plantdesk.accounts.models import User
from plantdesk.changes.conflicts import find_conflicts
from plantdesk.changes.models import Window, WindowCI
from plantdesk.changes.tests.schedule_helpers import berlin_lines, change_manager, mes_account, window
from plantdesk.changes.window_actions import do_import_production_runs
from plantdesk.cmdb.actions import do_update_ci
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.errors import InvalidInput
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

RUNS = [
    {"equipment": "BER-L3-PLC01", "start": "2026-05-04T06:00:00+02:00", "end": "2026-05-04T18:00:00+02:00",
     "state": "running", "external_id": "JO-1001", "name": "Batch 4711 filling"},
    {"equipment": "BER-L4-PLC01", "start": "2026-05-04T06:00:00+02:00", "end": "2026-05-05T06:00:00+02:00",
     "state": "planned", "external_id": "JO-1002"},
    {"equipment": "BER-L3-PLC01", "start": "2026-05-05T06:00:00+02:00", "end": "2026-05-05T14:00:00+02:00",
     "state": "held", "external_id": "JO-1003"},
]  # fmt: skip


@pytest.fixture
def mes(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> User:
    berlin_lines(plant, plant_cis)
    return mes_account(plant)


def fields_of(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def imported() -> dict[str, Window]:
    return {w.external_id: w for w in Window.objects.filter(kind="production_run").prefetch_related("cis")}


def test_an_mes_account_imports_job_orders_as_production_runs(mes: User) -> None:
    response = ApiClient(mes).post("/windows/production-runs", RUNS)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (3, 0, 0)
    runs = imported()
    assert [i["external_id"] for i in body["items"]] == ["JO-1001", "JO-1002", "JO-1003"]
    assert [i["window"] for i in body["items"]] == [runs[k].pk for k in ("JO-1001", "JO-1002", "JO-1003")]
    first = runs["JO-1001"]
    assert first.name == "Batch 4711 filling" and first.run_state == "running"
    assert first.start == datetime(2026, 5, 4, 4, tzinfo=UTC) and first.last_end == first.end
    assert first.time_zone == "Europe/Berlin"  # the equipment's site: how the schedule shows it
    assert [ci.name for ci in first.cis.all()] == ["BER-L3-PLC01"]
    assert runs["JO-1002"].name == "Job order JO-1002"
    entries = AuditEntry.objects.filter(record_type="window", action="imported")
    assert entries.count() == 3 and {e.actor_username for e in entries} == {"mes-ber"}


def test_the_same_import_again_changes_nothing(mes: User) -> None:
    client = ApiClient(mes)
    first = client.post("/windows/production-runs", RUNS).json()
    audit_before = AuditEntry.objects.count()
    again = client.post("/windows/production-runs", RUNS).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert [i["window"] for i in again["items"]] == [i["window"] for i in first["items"]]
    assert Window.objects.count() == 3 and WindowCI.objects.count() == 3
    assert AuditEntry.objects.count() == audit_before


def test_a_later_import_updates_state_times_and_equipment(mes: User) -> None:
    client = ApiClient(mes)
    client.post("/windows/production-runs", RUNS)
    later = [
        {**RUNS[0], "state": "completed", "end": "2026-05-04T16:30:00+02:00"},
        {**RUNS[1], "equipment": "BER-L3-PLC01", "state": "RUNNING"},  # moved to line 3; states in any case
        RUNS[2],
    ]
    body = client.post("/windows/production-runs", later).json()
    assert [i["result"] for i in body["items"]] == ["updated", "updated", "unchanged"]
    runs = imported()
    assert runs["JO-1001"].run_state == "completed" and runs["JO-1001"].name == "Batch 4711 filling"
    assert runs["JO-1001"].end == runs["JO-1001"].last_end == datetime(2026, 5, 4, 14, 30, tzinfo=UTC)
    assert [ci.name for ci in runs["JO-1002"].cis.all()] == ["BER-L3-PLC01"] and runs["JO-1002"].run_state == "running"
    changes = AuditEntry.objects.filter(record_type="window", record_id=runs["JO-1001"].pk, action="imported")
    assert {(e.field, e.old, e.new) for e in changes if e.field} == {
        ("run_state", "running", "completed"),
        ("end", "2026-05-04T16:00:00+00:00", "2026-05-04T14:30:00+00:00"),
    }
    moved = AuditEntry.objects.get(record_id=runs["JO-1002"].pk, action="imported", field="cis")
    assert (moved.old, moved.new) == ("BER-L4-PLC01", "BER-L3-PLC01")


def test_a_running_or_held_run_blocks_changes_and_a_completed_one_no_longer(mes: User) -> None:
    plc = ConfigurationItem.objects.get(name="BER-L3-PLC01")
    client = ApiClient(mes)
    client.post("/windows/production-runs", RUNS)
    during = {"ci_ids": [plc.pk], "start": datetime(2026, 5, 4, 10, tzinfo=UTC),
              "end": datetime(2026, 5, 4, 11, tzinfo=UTC)}  # fmt: skip
    assert [f.kind for f in find_conflicts(**during)] == ["production_run"]
    client.post("/windows/production-runs", [{**RUNS[0], "state": "completed"}])
    assert find_conflicts(**during) == []


def test_equipment_is_found_by_an_alias_too(mes: User, plant: Plant) -> None:
    do_update_ci(ConfigurationItem.objects.get(name="BER-L4-PLC01"), {"aliases": ["BER-Plant/EdgeNode1/L4PLC01"]},
                 actor=plant.admin)  # fmt: skip
    body = ApiClient(mes).post("/windows/production-runs", [{**RUNS[1], "equipment": "BER-Plant/EdgeNode1/L4PLC01"}])
    assert body.status_code == 200, body.json()
    assert [ci.name for ci in imported()["JO-1002"].cis.all()] == ["BER-L4-PLC01"]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ({"equipment": "BER-L9-PLC01"}, "1.equipment", "BER-L9-PLC01"),
        ({"end": "2026-05-04T05:00:00+02:00"}, "1.end", "after start"),
        ({"start": "2026-05-04T06:00:00"}, "1.start", "offset"),
        ({"state": "paused"}, "1.state", "running"),
        ({"state": ""}, "1.state", "running"),
        ({"external_id": "JO-1001"}, "1.external_id", "row 0"),
        ({"external_id": " "}, "1.external_id", "required"),
        ({"equipment": ""}, "1.equipment", "required"),
    ],
)
def test_one_bad_row_refuses_the_whole_import_naming_row_and_field(
    mes: User, row: dict[str, Any], field: str, words: str
) -> None:
    rows = [RUNS[0], {**RUNS[1], **row}, RUNS[2]]
    response = ApiClient(mes).post("/windows/production-runs", rows)
    assert response.status_code == 400, response.json()
    errors = fields_of(response)
    assert field in errors and words.lower() in errors[field].lower(), errors
    assert "nothing was written" in response.json()["detail"]
    assert not Window.objects.exists() and not AuditEntry.objects.filter(record_type="window").exists()


def test_a_bad_row_refuses_an_update_too_and_nothing_changes(mes: User) -> None:
    client = ApiClient(mes)
    client.post("/windows/production-runs", RUNS)
    audit_before = AuditEntry.objects.count()
    rows = [{**RUNS[0], "state": "completed"}, {**RUNS[2], "end": "2026-05-01T00:00:00+02:00"}]
    response = client.post("/windows/production-runs", rows)
    assert response.status_code == 400 and set(fields_of(response)) == {"1.end"}
    assert imported()["JO-1001"].run_state == "running" and AuditEntry.objects.count() == audit_before


def test_shape_errors_name_the_row_too(mes: User, plant: Plant) -> None:
    client = ApiClient(mes)
    missing = client.post("/windows/production-runs", [RUNS[0], {k: v for k, v in RUNS[1].items() if k != "start"}])
    assert missing.status_code == 422 and "1.start" in fields_of(missing)
    extra = client.post("/windows/production-runs", [{**RUNS[0], "operator": "x"}])
    assert extra.status_code == 422 and fields_of(extra) == {"0.operator": "Unknown field."}
    empty = client.post("/windows/production-runs", [])
    assert empty.status_code == 400 and "rows" in fields_of(empty)
    assert client.post("/windows/production-runs", {"runs": RUNS}).status_code == 422
    blackout = window(change_manager(plant), kind="blackout", name="Audit", start="2026-05-01T00:00:00Z",
                      end="2026-05-02T00:00:00Z", sites=["ber"], external_id="JO-1003")  # fmt: skip
    taken = client.post("/windows/production-runs", RUNS)
    assert taken.status_code == 400 and "blackout" in fields_of(taken)["2.external_id"]
    assert list(Window.objects.values_list("pk", flat=True)) == [blackout.pk]


def test_who_may_import(mes: User, plant: Plant) -> None:
    for user in (plant.agent, plant.requester, plant.manager):
        assert ApiClient(user).post("/windows/production-runs", RUNS).status_code == 403
    assert not Window.objects.exists()
    assert ApiClient(change_manager(plant)).post("/windows/production-runs", RUNS[:1]).status_code == 200
    assert ApiClient(plant.admin).post("/windows/production-runs", RUNS[1:]).json()["created"] == 2
    # An integration account of Berlin does not see (so cannot name) Singapore's equipment.
    response = ApiClient(mes).post("/windows/production-runs", [{**RUNS[0], "equipment": "SIN-MES-APP01"}])
    assert response.status_code == 400 and "0.equipment" in fields_of(response)


def test_an_import_costs_a_fixed_number_of_queries(mes: User, django_assert_max_num_queries: Any) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        {"equipment": f"BER-L{3 + n % 2}-PLC01", "state": "planned", "external_id": f"JO-{n}",
         "start": start + timedelta(hours=n), "end": start + timedelta(hours=n + 1)}
        for n in range(300)
    ]  # fmt: skip
    with django_assert_max_num_queries(25):
        results = do_import_production_runs(rows, actor=mes)
    assert len(results) == 300 and Window.objects.count() == 300 and WindowCI.objects.count() == 300
    with django_assert_max_num_queries(25):
        again = do_import_production_runs([{**r, "state": "running"} for r in rows], actor=mes)
    assert {r.result for r in again} == {"updated"}
    with pytest.raises(InvalidInput) as refused:
        do_import_production_runs([*rows, {**rows[0], "external_id": "JO-x", "end": rows[0]["start"]}], actor=mes)
    assert [e.field for e in refused.value.errors] == ["300.end"]
