"""/api/v1/schedules as CONTRACT.md section 6 describes it, with bad input refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.core.audit import verify_chain
from plantdesk.core.models import AuditEntry
from plantdesk.slas.models import Schedule
from plantdesk.testing.fixtures import ApiClient, Plant

pytestmark = pytest.mark.django_db

BERLIN_TWO_SHIFTS = {
    "name": "BER two shifts",
    "time_zone": "Europe/Berlin",
    "hours": [
        {"days": "mon-fri", "start": "06:00", "end": "14:00"},
        {"days": "mon-fri", "start": "14:00", "end": "22:00"},
    ],
    "holidays": {"country": "DE", "subdivision": "BE"},
    "extra_closed_days": ["2026-12-31"],
}


def test_an_admin_creates_a_schedule_and_asks_for_due_dates(plant: Plant) -> None:
    admin = ApiClient(plant.admin)
    created = admin.post("/schedules", BERLIN_TWO_SHIFTS)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["holidays"] == {"country": "DE", "subdivision": "BE"}
    assert AuditEntry.objects.filter(record_type="schedule", field="time_zone", new="Europe/Berlin").exists()
    agent = ApiClient(plant.agent)
    # Friday 20:00 + 4 h: 2 h on Friday, then Monday 06:00 + 2 h.
    due = agent.get("/schedules/BER two shifts/due", start="2026-11-27T20:00:00+01:00", duration="PT4H")
    assert due.status_code == 200, due.content
    assert due.json()["due"].startswith("2026-11-30T07:00:00")  # 08:00 CET in UTC
    # Christmas Day and Boxing Day are Berlin holidays, 31 December a plant closure.
    over_christmas = agent.get("/schedules/BER two shifts/due", start="2026-12-23T21:00:00+01:00", duration="PT18H")
    # 23rd: 1 h; 24th (a working day in Berlin): 16 h; 25th-27th closed; Monday 28th 06:00 + 1 h = 07:00 CET.
    assert over_christmas.json()["due"] == "2026-12-28T06:00:00Z"
    periods = agent.get("/schedules/BER two shifts/periods", start="2026-12-30T12:00:00+01:00", count=2).json()
    assert [p["start"][:10] for p in periods["items"]] == ["2026-12-30", "2027-01-04"]
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"hours": [{"days": "mon-fri", "start": "14:00", "end": "06:00"}]}, "hours[0].end"),
        (
            {
                "hours": [
                    {"days": "mon-fri", "start": "06:00", "end": "14:00"},
                    {"days": "fri", "start": "13:00", "end": "15:00"},
                ]
            },
            "hours[1]",
        ),
        ({"hours": [{"days": "weekdays", "start": "06:00", "end": "14:00"}]}, "hours[0].days"),
        ({"hours": [{"days": "mon", "start": "6am", "end": "14:00"}]}, "hours[0].start"),
        ({"hours": []}, "hours"),
        ({"holidays": {"country": "XX"}}, "holidays.country"),
        ({"holidays": {"country": "DE", "subdivision": "ZZ"}}, "holidays.subdivision"),
        ({"extra_closed_days": ["2026-02-30"]}, "extra_closed_days[0]"),
        ({"colour": "blue"}, "colour"),  # refused by the schema: 422
    ],
)
def test_bad_schedules_are_refused_naming_the_field(plant: Plant, change: dict[str, Any], field: str) -> None:
    response = ApiClient(plant.admin).post("/schedules", BERLIN_TWO_SHIFTS | change)
    assert response.status_code == (422 if field == "colour" else 400), response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Schedule.objects.exists()


def test_due_needs_a_positive_duration_and_a_zoned_start(plant: Plant) -> None:
    ApiClient(plant.admin).post("/schedules", BERLIN_TWO_SHIFTS)
    agent = ApiClient(plant.agent)
    zero = agent.get("/schedules/BER two shifts/due", start="2026-11-27T20:00:00+01:00", duration="PT0S")
    assert zero.status_code == 400 and zero.json()["errors"][0]["field"] == "duration"
    negative = agent.get("/schedules/BER two shifts/due", start="2026-11-27T20:00:00+01:00", duration="-PT1H")
    assert negative.status_code in (400, 422)
    naive = agent.get("/schedules/BER two shifts/due", start="2026-11-27T20:00:00", duration="PT1H")
    assert naive.status_code == 400 and naive.json()["errors"][0]["field"] == "start"
    assert agent.get("/schedules/Nope/due", start="2026-11-27T20:00:00Z", duration="PT1H").status_code == 404


def test_only_admins_change_schedules_and_requesters_do_not_read_them(plant: Plant) -> None:
    assert ApiClient(plant.agent).post("/schedules", BERLIN_TWO_SHIFTS).status_code == 403
    ApiClient(plant.admin).post("/schedules", BERLIN_TWO_SHIFTS)
    assert ApiClient(plant.requester).get("/schedules").status_code == 403
    changed = ApiClient(plant.admin).patch("/schedules/BER two shifts", {"time_zone": "Asia/Singapore"})
    assert changed.status_code == 200 and changed.json()["time_zone"] == "Asia/Singapore"
    assert ApiClient(plant.agent).patch("/schedules/BER two shifts", {"time_zone": "UTC"}).status_code == 403
