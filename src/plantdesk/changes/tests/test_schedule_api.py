"""GET /api/v1/schedule/changes (changes and window occurrences in a range, by site or line) and
GET /api/v1/schedule/next-slot (the earliest conflict-free start)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.changes.tests.schedule_helpers import berlin_lines, change_manager, make_change, window
from plantdesk.changes.window_actions import do_deactivate_window
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

MAY = {"from": "2026-05-01T00:00:00+02:00", "to": "2026-06-01T00:00:00+02:00"}
# Today, for every test here (the data is built on it too): Monday 2027-03-01, so that `base` is Monday
# 2027-03-15 and the Saturday night after its first is the hour-short one of the spring change (03-27).
TODAY = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=True):  # ticking: the slot search and the lead time count from now
        yield


@pytest.fixture
def carl(plant: Plant) -> User:
    return change_manager(plant)


@pytest.fixture
def cis(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> dict[str, ConfigurationItem]:
    return berlin_lines(plant, plant_cis)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def fields_of(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def may(plant: Plant, carl: User, cis: dict[str, ConfigurationItem]) -> dict[str, Any]:
    """A month of Berlin and Singapore: changes on both lines and in Singapore, and every kind of window."""
    c = cis
    return {
        "l3": make_change(plant.requester, [c["BER-L3-PLC01"]], at("2026-05-06T08:00:00+02:00"),
                          at("2026-05-06T12:00:00+02:00"), short_description="Line 3 PLC firmware"),
        "l4_closed": make_change(plant.agent, [c["BER-L4-PLC01"]], at("2026-05-12T08:00:00+02:00"),
                                 at("2026-05-12T10:00:00+02:00"), state="closed"),
        "ws": make_change(plant.agent, [c["BER-WS-L3-01"]], at("2026-05-20T08:00:00+02:00"),
                          at("2026-05-20T09:00:00+02:00"), type="standard"),
        "sin": make_change(plant.agent_sin, [c["SIN-MES-APP01"]], at("2026-05-07T22:00:00+08:00"),
                           at("2026-05-08T02:00:00+08:00")),
        "june": make_change(plant.agent, [c["BER-L3-PLC01"]], at("2026-06-02T08:00:00+02:00"),
                            at("2026-06-02T09:00:00+02:00")),
        "l3_nights": window(carl, kind="maintenance", name="Line 3 Saturday nights", start="2026-04-04T22:00:00+02:00",
                            end="2026-04-05T06:00:00+02:00", rrule="FREQ=WEEKLY;BYDAY=SA", cis=["BER-L3"]),
        "run": window(carl, kind="production_run", name="JO-7", start="2026-05-11T06:00:00+02:00",
                      end="2026-05-13T06:00:00+02:00", cis=["BER-L4-PLC01"], run_state="running"),
        "plc_freeze": window(carl, kind="blackout", name="PLC freeze", start="2026-05-25T00:00:00+02:00",
                             end="2026-05-26T00:00:00+02:00", ci_classes=["plc"]),
        "site_audit": window(carl, kind="blackout", name="FDA audit", start="2026-05-18T00:00:00+02:00",
                             end="2026-05-19T00:00:00+02:00", cis=["BER-SITE"]),
        "sin_audit": window(carl, kind="blackout", name="Singapore audit", start="2026-05-14T00:00:00+08:00",
                            end="2026-05-15T00:00:00+08:00", sites=["sin"]),
        "gone": do_deactivate_window(window(carl, kind="blackout", name="Cancelled freeze", sites=["ber"],
                                            start="2026-05-02T00:00:00Z", end="2026-05-03T00:00:00Z"),
                                     actor=carl, reason="Campaign moved"),
    }  # fmt: skip


def numbers(body: dict[str, Any]) -> list[str]:
    return [c["number"] for c in body["changes"]]


def names(body: dict[str, Any]) -> list[str]:
    return [o["name"] for o in body["windows"]]


def test_the_month_holds_every_change_and_window_occurrence(plant: Plant, may: dict[str, Any]) -> None:
    response = ApiClient(plant.admin).get("/schedule/changes", **MAY)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["from"] == "2026-04-30T22:00:00Z" and body["site"] is None and body["time_zone"] is None
    # Active and final changes alike, by planned start; June's is out of range.
    assert numbers(body) == [may[k].number for k in ("l3", "sin", "l4_closed", "ws")]
    first = body["changes"][0]
    assert first == {"number": may["l3"].number, "short_description": "Line 3 PLC firmware", "type": "normal",
                     "state": "scheduled", "planned_start": "2026-05-06T06:00:00Z",
                     "planned_end": "2026-05-06T10:00:00Z", "cis": ["BER-L3-PLC01"], "site": "ber"}  # fmt: skip
    # Five Saturday nights in May (the one starting 30 May included), one of every other window; not the
    # deactivated one.
    nights = [o for o in body["windows"] if o["window"] == may["l3_nights"].pk]
    assert [o["start"] for o in nights] == [f"2026-05-{d:02d}T20:00:00Z" for d in (2, 9, 16, 23, 30)]
    assert {o["kind"] for o in nights} == {"maintenance"} and nights[0]["end"] == "2026-05-03T04:00:00Z"
    assert names(body).count("JO-7") == 1 and "Cancelled freeze" not in names(body)
    run = next(o for o in body["windows"] if o["name"] == "JO-7")
    assert (run["kind"], run["run_state"], run["time_zone"]) == ("production_run", "running", "Europe/Berlin")
    assert {"PLC freeze", "FDA audit", "Singapore audit"} <= set(names(body))
    starts = [o["start"] for o in body["windows"]]
    assert starts == sorted(starts)


def test_a_site_shows_its_changes_and_the_windows_that_apply_there(plant: Plant, may: dict[str, Any]) -> None:
    ber = ApiClient(plant.admin).get("/schedule/changes", site="ber", **MAY).json()
    assert numbers(ber) == [may[k].number for k in ("l3", "l4_closed", "ws")]
    assert set(names(ber)) == {"Line 3 Saturday nights", "JO-7", "PLC freeze", "FDA audit"}
    assert ber["time_zone"] == "Europe/Berlin"
    sin = ApiClient(plant.admin).get("/schedule/changes", site="sin", **MAY).json()
    assert numbers(sin) == [may["sin"].number] and set(names(sin)) == {"Singapore audit"}
    assert sin["time_zone"] == "Asia/Singapore"


def test_a_line_shows_what_it_contains_and_the_windows_above_it(plant: Plant, may: dict[str, Any]) -> None:
    client = ApiClient(plant.agent)
    line3 = client.get("/schedule/changes", line="BER-L3", **MAY).json()
    # The PLC in a cell of the line, and the terminal located in it; the site's audit and the PLC class's freeze.
    assert numbers(line3) == [may["l3"].number, may["ws"].number]
    assert set(names(line3)) == {"Line 3 Saturday nights", "PLC freeze", "FDA audit"}
    assert line3["line"] == "BER-L3" and line3["time_zone"] == "Europe/Berlin"
    line4 = client.get("/schedule/changes", line="BER-L4", site="ber", **MAY).json()
    assert numbers(line4) == [may["l4_closed"].number]
    assert set(names(line4)) == {"JO-7", "PLC freeze", "FDA audit"}


def test_each_user_sees_the_changes_they_may_and_requesters_no_windows(plant: Plant, may: dict[str, Any]) -> None:
    rita = ApiClient(plant.requester).get("/schedule/changes", **MAY).json()
    assert numbers(rita) == [may["l3"].number] and rita["windows"] == []
    siti = ApiClient(plant.agent_sin).get("/schedule/changes", **MAY).json()
    assert numbers(siti) == [may["sin"].number] and "FDA audit" in names(siti)  # every agent reads windows
    assert ApiClient(None).get("/schedule/changes", **MAY).status_code == 401


def test_occurrences_keep_their_wall_clock_time_across_the_dst_change(plant: Plant, carl: User, cis: Any) -> None:
    window(carl, kind="maintenance", name="Nights", start="2026-03-21T22:00:00+01:00",
           end="2026-03-22T06:00:00+01:00", rrule="FREQ=WEEKLY;BYDAY=SA", cis=["BER-L3"])  # fmt: skip
    body = ApiClient(plant.agent).get("/schedule/changes", line="BER-L3", **{
        "from": "2026-03-20T00:00:00+01:00", "to": "2026-04-06T00:00:00+02:00"}).json()  # fmt: skip
    spans = [(o["start"], o["end"]) for o in body["windows"]]
    assert spans == [
        ("2026-03-21T21:00:00Z", "2026-03-22T05:00:00Z"),  # 22:00-06:00 CET
        ("2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z"),  # 22:00 CET to 06:00 CEST: the night is an hour short
        ("2026-04-04T20:00:00Z", "2026-04-05T04:00:00Z"),  # 22:00-06:00 CEST
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-05-01T00:00:00", "to": "2026-06-01T00:00:00+02:00"}, "from"),
        ({"from": "2026-05-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}, "to"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "to"),
        ({**MAY, "site": "xyz"}, "site"),
        ({**MAY, "line": "BER-L99"}, "line"),
        ({**MAY, "line": "BER-L3", "site": "sin"}, "line"),
    ],
)
def test_bad_ranges_and_scopes_are_named(plant: Plant, cis: Any, params: dict[str, str], field: str) -> None:
    response = ApiClient(plant.agent).get("/schedule/changes", **params)
    assert response.status_code == 400 and field in fields_of(response), response.json()


def test_missing_range_is_refused(plant: Plant) -> None:
    response = ApiClient(plant.agent).get("/schedule/changes", to=MAY["to"])
    assert response.status_code == 422 and "from" in fields_of(response)


def test_the_schedule_costs_the_same_queries_for_a_busy_month(
    plant: Plant, carl: User, cis: dict[str, ConfigurationItem], django_assert_max_num_queries: Any
) -> None:
    for day in range(1, 29):
        start = datetime(2026, 5, day, 6, tzinfo=UTC)
        make_change(plant.agent, [cis["BER-L3-PLC01"], cis["BER-L4-PLC01"]], start, start + timedelta(hours=2))
        window(carl, kind="blackout", name=f"Freeze {day}", start=start, end=start + timedelta(hours=1),
               cis=["BER-L3"], sites=["ber"])  # fmt: skip
    client = ApiClient(plant.agent)
    with django_assert_max_num_queries(8):
        body = client.get("/schedule/changes", **MAY).json()
    assert len(body["changes"]) == 28 and len(body["windows"]) == 28
    with django_assert_max_num_queries(20):  # the line's contents and containers: a query per level
        body = client.get("/schedule/changes", line="BER-L3", **MAY).json()
    assert len(body["changes"]) == 28 and len(body["windows"]) == 28


# -- next free slot ------------------------------------------------------------------------------------------


def iso(value: datetime) -> str:
    return value.isoformat()


@pytest.fixture
def base() -> datetime:
    """A Monday 08:00 UTC well beyond the CAB lead time, so only the windows and changes decide (2027-03-15)."""
    day = (timezone.now() + timedelta(days=14)).replace(hour=8, minute=0, second=0, microsecond=0)
    monday = day + timedelta(days=(7 - day.weekday()) % 7)
    assert monday == datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    return monday


def slot(user: User, **params: Any) -> Any:
    return ApiClient(user).get("/schedule/next-slot", **params)


def test_the_next_slot_skips_a_blackout_and_then_a_production_run(
    plant: Plant, carl: User, cis: Any, base: datetime
) -> None:
    params = {"cis": "BER-L3-PLC01", "duration_minutes": 240, "after": iso(base)}
    free = slot(plant.agent, **params)
    assert free.status_code == 200, free.json()
    assert at(free.json()["start"]) == base and at(free.json()["end"]) == base + timedelta(hours=4)
    window(carl, kind="blackout", name="Validation run", start=base - timedelta(days=1), end=base + timedelta(days=2),
           sites=["ber"])  # fmt: skip
    assert at(slot(plant.agent, **params).json()["start"]) == base + timedelta(days=2)
    window(carl, kind="production_run", name="JO-1", start=base + timedelta(days=2, hours=-1),
           end=base + timedelta(days=2, hours=10), cis=["BER-L3-PLC01"], run_state="held")  # fmt: skip
    # A 4-hour gap before the next run is not enough for 5 hours, but is for 4.
    window(carl, kind="production_run", name="JO-2", start=base + timedelta(days=2, hours=14),
           end=base + timedelta(days=3), cis=["BER-L3-PLC01"], run_state="planned")  # fmt: skip
    assert at(slot(plant.agent, **params).json()["start"]) == base + timedelta(days=2, hours=10)
    longer = slot(plant.agent, **{**params, "duration_minutes": 300}).json()
    assert at(longer["start"]) == base + timedelta(days=3)
    # A completed run blocks nothing; nor does a run on other equipment.
    window(carl, kind="production_run", name="JO-0", start=base + timedelta(days=3), end=base + timedelta(days=4),
           cis=["BER-L3-PLC01"], run_state="completed")  # fmt: skip
    assert at(slot(plant.agent, **{**params, "duration_minutes": 300}).json()["start"]) == base + timedelta(days=3)
    assert at(slot(plant.agent, **{**params, "cis": "BER-L4-PLC01"}).json()["start"]) == base + timedelta(days=2)


def test_the_next_slot_lies_inside_the_cis_maintenance_windows(
    plant: Plant, carl: User, cis: Any, base: datetime
) -> None:
    window(carl, kind="maintenance", name="Saturday nights", start="2026-01-03T22:00:00+01:00",
           end="2026-01-04T06:00:00+01:00", rrule="FREQ=WEEKLY;BYDAY=SA", cis=["BER-L3"])  # fmt: skip
    start = at(slot(plant.agent, cis="BER-L3-PLC01", duration_minutes=240, after=iso(base)).json()["start"])
    assert saturday_night(start) and base < start < base + timedelta(days=7)
    assert start == datetime(2027, 3, 20, 21, 0, tzinfo=UTC)  # 22:00 CET
    # A blackout on that Saturday evening moves the slot behind it, still that night.
    window(carl, kind="blackout", name="Year-end", start=start - timedelta(hours=1), end=start + timedelta(hours=1),
           cis=["BER-SITE"])  # fmt: skip
    later = at(slot(plant.agent, cis="BER-L3-PLC01", duration_minutes=240, after=iso(base)).json()["start"])
    assert later == start + timedelta(hours=1)
    # Eight hours no longer fit that night: a later Saturday (an hour-short spring night is skipped too).
    pushed = at(slot(plant.agent, cis="BER-L3-PLC01", duration_minutes=480, after=iso(base)).json()["start"])
    assert saturday_night(pushed) and pushed > start + timedelta(days=6)
    assert pushed == datetime(2027, 4, 3, 20, 0, tzinfo=UTC)  # 22:00 CEST: 03-27 to 03-28 has seven hours only
    # Ten hours never fit into a night of at most nine.
    none = slot(plant.agent, cis="BER-L3-PLC01", duration_minutes=600, after=iso(base))
    assert none.status_code == 409 and "No free slot" in none.json()["detail"]


def saturday_night(value: datetime) -> bool:
    local = value.astimezone(ZoneInfo("Europe/Berlin"))
    return (local.weekday(), local.hour, local.minute) == (5, 22, 0)


def test_the_next_slot_avoids_other_changes_and_the_assignees_other_work(
    plant: Plant, cis: dict[str, ConfigurationItem], base: datetime
) -> None:
    make_change(plant.agent, [cis["BER-L3-PLC01"]], base - timedelta(hours=1), base + timedelta(hours=5))
    make_change(plant.agent, [cis["BER-MES-APP01"]], base + timedelta(hours=5), base + timedelta(hours=8),
                assignee=plant.ot_agent)  # fmt: skip
    make_change(plant.agent, [cis["BER-L3-PLC01"]], base + timedelta(hours=9), base + timedelta(hours=10),
                state="canceled")  # fmt: skip
    params = {"cis": "BER-L3-PLC01", "duration_minutes": 120, "after": iso(base)}
    assert at(slot(plant.agent, **params).json()["start"]) == base + timedelta(hours=5)
    body = slot(plant.agent, **params, assignee="otto").json()
    assert at(body["start"]) == base + timedelta(hours=8) and body["assignee"] == "otto"
    # Two CIs: the slot must be free for both.
    both = slot(plant.agent, **{**params, "cis": "BER-L3-PLC01,BER-MES-APP01"}).json()
    assert at(both["start"]) == base + timedelta(hours=8) and both["cis"] == ["BER-L3-PLC01", "BER-MES-APP01"]


def test_a_normal_change_waits_for_the_cab_lead_time(plant: Plant, cis: Any, settings: Any) -> None:
    settings.CHANGE_CAB_LEAD_DAYS = 3
    before = timezone.now()
    normal = slot(plant.agent, cis="BER-HIST01", duration_minutes=60).json()
    assert before + timedelta(days=3) <= at(normal["start"]) <= timezone.now() + timedelta(days=3, minutes=1)
    assert at(normal["start"]).second == 0 and normal["earliest"] == normal["start"]
    for change_type in ("emergency", "standard"):
        quick = at(slot(plant.agent, cis="BER-HIST01", duration_minutes=60, type=change_type).json()["start"])
        assert before <= quick <= timezone.now() + timedelta(minutes=1)
    # An `after` in the past is now (or the lead time), never the past.
    past = slot(plant.agent, cis="BER-HIST01", duration_minutes=60, type="emergency", after="2020-01-01T00:00:00Z")
    assert at(past.json()["start"]) >= before


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"cis": "BER-L3-PLC01,NOPE", "duration_minutes": 60}, 400, "cis"),
        ({"cis": " , ", "duration_minutes": 60}, 400, "cis"),
        ({"cis": "SIN-MES-APP01", "duration_minutes": 60}, 400, "cis"),  # not one of alice's sites
        ({"cis": "BER-L3-PLC01", "duration_minutes": 60, "assignee": "nobody"}, 400, "assignee"),
        ({"cis": "BER-L3-PLC01", "duration_minutes": 60, "assignee": "rita"}, 400, "assignee"),
        ({"cis": "BER-L3-PLC01", "duration_minutes": 60, "after": "2026-05-01T08:00:00"}, 400, "after"),
        ({"cis": "BER-L3-PLC01", "duration_minutes": 0}, 422, "duration_minutes"),
        ({"cis": "BER-L3-PLC01", "duration_minutes": 60 * 24 * 15}, 422, "duration_minutes"),
        ({"cis": "BER-L3-PLC01", "duration_minutes": 60, "type": "urgent"}, 422, "type"),
        ({"duration_minutes": 60}, 422, "cis"),
    ],
)
def test_bad_slot_questions_are_named(plant: Plant, cis: Any, params: dict[str, Any], status: int, field: str) -> None:
    response = slot(plant.agent, **params)
    assert response.status_code == status and field in fields_of(response), response.json()


def test_requesters_do_not_search_slots(plant: Plant, cis: Any) -> None:
    assert slot(plant.requester, cis="BER-L3-PLC01", duration_minutes=60).status_code == 403


def test_the_search_asks_conflict_detection_only_about_plausible_moments(
    plant: Plant, carl: User, cis: Any, base: datetime
) -> None:
    window(carl, kind="maintenance", name="Saturday nights", start="2026-01-03T22:00:00+01:00",
           end="2026-01-04T06:00:00+01:00", rrule="FREQ=WEEKLY;BYDAY=SA", cis=["BER-L3"])  # fmt: skip
    for day in range(21):  # a run every day: each end is a candidate, but outside the maintenance nights
        start = base + timedelta(days=day, hours=-2)
        window(carl, kind="production_run", name=f"JO-{day}", start=start, end=start + timedelta(hours=10),
               cis=["BER-L3-PLC01"], run_state="planned")  # fmt: skip
    body = slot(plant.agent, cis="BER-L3-PLC01", duration_minutes=240, after=iso(base)).json()
    assert saturday_night(at(body["start"])) and body["checked"] == 1
