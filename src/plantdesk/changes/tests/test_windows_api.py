"""GET|POST /api/v1/windows, GET|PATCH /windows/{id}, POST /windows/{id}/deactivate: validation naming each
field, RRULE and zone semantics, scope filters, permissions, audit, and the list's query count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from plantdesk.accounts.models import User
from plantdesk.changes.models import Window
from plantdesk.changes.tests.schedule_helpers import berlin_lines, change_manager, window
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.models import AuditEntry
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

SATURDAY_NIGHTS = {
    "kind": "maintenance",
    "name": "Line 3 Saturday night maintenance",
    "start": "2026-03-21T22:00:00+01:00",
    "end": "2026-03-22T06:00:00+01:00",
    "rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=3",
    "time_zone": "Europe/Berlin",
    "cis": ["BER-L3"],
    "sites": [],
}


@pytest.fixture
def carl(plant: Plant) -> User:
    return change_manager(plant)


@pytest.fixture
def cis(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> dict[str, ConfigurationItem]:
    return berlin_lines(plant, plant_cis)


def fields_of(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_a_change_manager_plans_a_recurring_window_and_it_is_audited(carl: User, cis: Any) -> None:
    response = ApiClient(carl).post("/windows", SATURDAY_NIGHTS)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "maintenance" and body["cis"] == ["BER-L3"] and body["active"]
    assert body["start"] == "2026-03-21T21:00:00Z" and body["time_zone"] == "Europe/Berlin"
    # The third Saturday is after the DST change: 22:00-06:00 CEST, so it ends at 04:00 UTC, not 05:00.
    assert body["last_end"] == "2026-04-05T04:00:00Z"
    assert body["created_by"] == "carl"
    entries = AuditEntry.objects.filter(record_type="window", record_id=body["id"])
    assert {e.field for e in entries} >= {"kind", "name", "start", "end", "rrule", "time_zone", "cis"}
    assert {e.action for e in entries} == {"created"} and {e.actor_username for e in entries} == {"carl"}


def test_a_rule_without_end_recurs_for_ever_and_the_zone_defaults_to_the_sites(carl: User, cis: Any) -> None:
    body = {**SATURDAY_NIGHTS, "rrule": "FREQ=WEEKLY;BYDAY=SA", "cis": ["BER-L3-PLC01"]}
    del body["time_zone"]
    created = ApiClient(carl).post("/windows", body).json()
    assert created["last_end"] is None and created["time_zone"] == "Europe/Berlin"
    utc = ApiClient(carl).post("/windows", {**body, "cis": [], "ci_classes": ["plc"]}).json()
    assert utc["time_zone"] == "UTC"  # a class spans sites: no one zone to assume


def test_a_one_off_blackout_on_a_site_and_a_class(carl: User, cis: Any) -> None:
    body = {"kind": "blackout", "name": "Validation run, filling", "start": "2026-06-01T00:00:00+02:00",
            "end": "2026-06-05T00:00:00+02:00", "sites": ["ber"], "ci_classes": ["plc", "hmi"],
            "description": "PQ batch 3 of 3"}  # fmt: skip
    created = ApiClient(carl).post("/windows", body).json()
    assert created["sites"] == ["ber"] and created["ci_classes"] == ["hmi", "plc"]
    assert created["rrule"] == "" and created["last_end"] == "2026-06-04T22:00:00Z"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"rrule": "FREQ=SOMETIMES"}, "rrule", "RRULE"),
        ({"rrule": "FREQ=DAILY\nDTSTART:20260101T000000"}, "rrule", "RRULE"),
        ({"end": "2026-03-21T21:00:00+01:00"}, "end", "after start"),
        ({"end": "2026-03-21T22:00:00+01:00"}, "end", "after start"),
        ({"start": "2026-03-21T22:00:00"}, "start", "offset"),
        ({"start": None}, "start", "required"),
        ({"start": "2150-03-21T22:00:00+01:00", "end": "2150-03-22T22:00:00+01:00"}, "start", "2000"),
        ({"end": "2027-06-22T06:00:00+01:00"}, "end", "at most a year"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone", "IANA"),
        ({"kind": "freeze"}, "kind", "blackout"),
        ({"name": "  "}, "name", "required"),
        ({"cis": ["BER-L3", "NOPE-1", "NOPE-2"]}, "cis", "NOPE-1, NOPE-2"),
        ({"sites": ["ber", "xyz"]}, "sites", "xyz"),
        ({"ci_classes": ["plc", "toaster"]}, "ci_classes", "toaster"),
        ({"cis": [], "sites": []}, "cis", "at least one"),
        ({"run_state": "running"}, "run_state", "production run"),
        ({"kind": "production_run", "cis": ["BER-L3-PLC01"]}, "rrule", "does not recur"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    carl: User, cis: Any, change: dict[str, Any], field: str, words: str
) -> None:
    response = ApiClient(carl).post("/windows", {**SATURDAY_NIGHTS, **change})
    assert response.status_code == 400, response.json()
    errors = fields_of(response)
    assert field in errors and words.lower() in errors[field].lower(), errors
    assert response.json()["detail"]
    assert not Window.objects.exists() and not AuditEntry.objects.filter(record_type="window").exists()


def test_several_problems_are_named_together_and_unknown_fields_are_refused(carl: User, cis: Any) -> None:
    body = {**SATURDAY_NIGHTS, "kind": "nope", "end": "2026-03-20T00:00:00+01:00", "sites": ["zz"]}
    assert set(fields_of(ApiClient(carl).post("/windows", body))) == {"kind", "end", "sites"}
    response = ApiClient(carl).post("/windows", {**SATURDAY_NIGHTS, "colour": "red"})
    assert response.status_code == 422 and fields_of(response) == {"colour": "Unknown field."}
    assert ApiClient(carl).post("/windows", raw="{not json").status_code in (400, 422)
    assert not Window.objects.exists()


def test_an_external_id_names_one_window(carl: User, cis: Any) -> None:
    ApiClient(carl).post("/windows", {**SATURDAY_NIGHTS, "external_id": "CAB-7"})
    response = ApiClient(carl).post("/windows", {**SATURDAY_NIGHTS, "external_id": "CAB-7"})
    assert response.status_code == 400 and "CAB-7" in fields_of(response)["external_id"]


def test_who_sees_and_who_plans_windows(plant: Plant, carl: User, cis: Any) -> None:
    created = window(carl, **SATURDAY_NIGHTS)
    # Every agent reads them (to plan around them); requesters see none.
    assert ApiClient(plant.agent).get("/windows").json()["count"] == 1
    assert ApiClient(plant.agent_sin).get(f"/windows/{created.pk}").status_code == 200
    assert ApiClient(plant.requester).get("/windows").json() == {"items": [], "count": 0, "count_exact": True}
    assert ApiClient(plant.requester).get(f"/windows/{created.pk}").status_code == 404
    assert ApiClient(None).get("/windows").status_code == 401
    # Agents and managers cannot plan, change or deactivate them; administrators can.
    for user in (plant.agent, plant.manager, plant.requester):
        client = ApiClient(user)
        assert client.post("/windows", SATURDAY_NIGHTS).status_code == 403
        expected = 404 if user == plant.requester else 403
        assert client.patch(f"/windows/{created.pk}", {"name": "x"}).status_code == expected
        assert client.post(f"/windows/{created.pk}/deactivate", {"reason": "x"}).status_code == expected
    assert ApiClient(plant.admin).post("/windows", SATURDAY_NIGHTS).status_code == 201
    assert Window.objects.get(pk=created.pk).name == SATURDAY_NIGHTS["name"]


def test_patch_changes_the_given_fields_recomputes_the_last_end_and_audits_each(carl: User, cis: Any) -> None:
    created = window(carl, **SATURDAY_NIGHTS)
    client = ApiClient(carl)
    response = client.patch(f"/windows/{created.pk}", {"rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=1", "name": "Once"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Once" and body["last_end"] == "2026-03-22T05:00:00Z" and body["cis"] == ["BER-L3"]
    changed = AuditEntry.objects.filter(record_type="window", record_id=created.pk, action="updated")
    assert {(e.field, e.old, e.new) for e in changed} == {
        ("name", SATURDAY_NIGHTS["name"], "Once"),
        ("rrule", "FREQ=WEEKLY;BYDAY=SA;COUNT=3", "FREQ=WEEKLY;BYDAY=SA;COUNT=1"),
    }
    # The scope list given replaces the stored one; the same values again write nothing.
    assert client.patch(f"/windows/{created.pk}", {"cis": ["BER-L4", "BER-L3"]}).json()["cis"] == ["BER-L3", "BER-L4"]
    before = AuditEntry.objects.count()
    assert client.patch(f"/windows/{created.pk}", {"name": "Once"}).status_code == 200
    assert AuditEntry.objects.count() == before
    # Bad values are refused as on create; the kind is fixed.
    assert "end" in fields_of(client.patch(f"/windows/{created.pk}", {"end": "2026-03-01T00:00:00Z"}))
    assert "kind" in fields_of(client.patch(f"/windows/{created.pk}", {"kind": "blackout"}))
    assert "rrule" in fields_of(client.patch(f"/windows/{created.pk}", {"rrule": "FREQ=WEEKLY;COUNT=x"}))
    assert client.patch("/windows/999999", {"name": "x"}).status_code == 404


def test_deactivation_needs_a_reason_keeps_the_record_and_ends_changes(carl: User, cis: Any) -> None:
    created = window(carl, **SATURDAY_NIGHTS)
    client = ApiClient(carl)
    refused = client.post(f"/windows/{created.pk}/deactivate", {"reason": " "})
    assert refused.status_code == 400 and "reason" in fields_of(refused)
    response = client.post(f"/windows/{created.pk}/deactivate", {"reason": "Line 3 moved to Sunday nights"})
    assert response.status_code == 200 and response.json()["active"] is False
    entry = AuditEntry.objects.get(record_type="window", record_id=created.pk, action="deactivated")
    assert (entry.field, entry.old, entry.new, entry.reason) == ("active", "true", "false",
                                                                "Line 3 moved to Sunday nights")  # fmt: skip
    # Again: nothing to do, nothing written. It is kept, off the default list, and no longer changeable.
    assert client.post(f"/windows/{created.pk}/deactivate", {"reason": "again"}).status_code == 200
    assert AuditEntry.objects.filter(record_type="window", action="deactivated").count() == 1
    assert client.get("/windows").json()["count"] == 0
    assert [w["id"] for w in client.get("/windows", active="false").json()["items"]] == [created.pk]
    assert client.patch(f"/windows/{created.pk}", {"name": "x"}).status_code == 409


def test_the_list_filters_by_kind_range_ci_and_site(plant: Plant, carl: User, cis: Any) -> None:
    line3 = window(carl, **SATURDAY_NIGHTS)  # on the line: covers the PLC inside it
    plc_class = window(carl, kind="blackout", name="PLC firmware freeze", start="2026-05-01T00:00:00Z",
                       end="2026-05-02T00:00:00Z", ci_classes=["plc"])  # fmt: skip
    sin = window(carl, kind="blackout", name="Singapore audit", start="2026-04-01T00:00:00+08:00",
                 end="2026-04-03T00:00:00+08:00", sites=["sin"])  # fmt: skip
    hmi = window(carl, kind="maintenance", name="Line 4", start="2026-01-01T00:00:00Z",
                 end="2026-01-01T04:00:00Z", rrule="FREQ=DAILY", cis=["BER-L4-C1"])  # fmt: skip
    client = ApiClient(plant.agent)

    def ids(**params: Any) -> list[int]:
        response = client.get("/windows", **params)
        assert response.status_code == 200, response.json()
        return [w["id"] for w in response.json()["items"]]

    assert ids() == [hmi.pk, line3.pk, sin.pk, plc_class.pk]  # by first start
    assert ids(kind="blackout") == [sin.pk, plc_class.pk]
    # Range: an occurrence may overlap it; a recurring window without end always may.
    assert ids(**{"from": "2026-04-10T00:00:00Z"}) == [hmi.pk, plc_class.pk]
    assert ids(to="2026-03-01T00:00:00Z") == [hmi.pk]
    assert ids(**{"from": "2026-03-30T00:00:00Z", "to": "2026-04-02T00:00:00Z"}) == [hmi.pk, line3.pk, sin.pk]
    assert ids(ci="BER-L3-PLC01") == [line3.pk, plc_class.pk]  # through its line, and its class
    assert ids(ci="BER-L4-PLC01") == [hmi.pk, plc_class.pk]
    assert ids(site="sin") == [sin.pk]  # the PLC class has no CI in Singapore here
    assert ids(site="ber") == [hmi.pk, line3.pk, plc_class.pk]
    assert ids(limit=2, offset=1) == [line3.pk, sin.pk]
    assert client.get("/windows", limit=2).json()["count"] == 4
    for params, field in (({"ci": "NOPE"}, "ci"), ({"site": "xyz"}, "site"),
                          ({"from": "2026-05-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}, "to")):  # fmt: skip
        response = client.get("/windows", **params)
        assert response.status_code == 400 and field in fields_of(response)
    assert client.get("/windows", limit=501).status_code == 422
    assert client.get("/windows", kind="freeze").status_code == 422


def test_the_list_costs_the_same_queries_for_many_windows(
    plant: Plant, carl: User, cis: Any, django_assert_max_num_queries: Any
) -> None:
    client = ApiClient(plant.agent)
    for n in range(30):
        window(carl, kind="blackout", name=f"Freeze {n}", start=datetime(2026, 1, 1 + n, tzinfo=UTC),
               end=datetime(2026, 1, 2 + n, tzinfo=UTC), cis=["BER-L3", "BER-L4"], sites=["ber"],
               ci_classes=["plc"])  # fmt: skip
    # token + user, count, rows, three scope prefetches
    with django_assert_max_num_queries(8):
        body = client.get("/windows", limit=500).json()
    assert body["count"] == 30 and body["items"][0]["cis"] == ["BER-L3", "BER-L4"]
    with django_assert_max_num_queries(14):  # the ci filter walks the CMDB upwards, a query a level
        assert client.get("/windows", ci="BER-L3-PLC01", limit=500).json()["count"] == 30
