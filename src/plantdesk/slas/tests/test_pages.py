"""The service-level pages: schedules (with the preview of working periods) and the attainment report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from plantdesk.slas.actions import do_create_definition, do_create_schedule
from plantdesk.slas.jobs import fire_due_events
from plantdesk.slas.models import LocationSchedule, Schedule
from plantdesk.testing.fixtures import Plant, client_for, make_incident, text

pytestmark = pytest.mark.django_db

FORM = {
    "name": "BER two shifts", "time_zone": "Europe/Berlin", "hours": "mon-fri 06:00-14:00\nmon-fri 14:00-22:00",
    "holiday_country": "DE", "holiday_subdivision": "BE", "extra_closed_days": "2026-12-31",
}  # fmt: skip
ALWAYS = {"name": "24x7", "time_zone": "UTC", "hours": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]}


@pytest.fixture
def new_years_eve_eve() -> Iterator[None]:
    """Wednesday 2026-12-30 13:00 in Berlin: the 31st is a closed day of the schedule, 1 January a holiday."""
    with time_machine.travel(datetime(2026, 12, 30, 12, 0, tzinfo=UTC), tick=True):
        yield


def test_an_admin_creates_a_schedule_from_a_shift_plan_and_assigns_a_site(
    new_years_eve_eve: None, plant: Plant
) -> None:
    from plantdesk.accounts.models import Site

    admin = client_for(plant.admin)
    berlin = Site.objects.get(code="ber")
    response = admin.post("/service-levels/schedules/new/", FORM | {"sites": [berlin.pk]})
    assert response.status_code == 303, text(response)
    schedule = Schedule.objects.get(name="BER two shifts")
    assert schedule.hours == [{"days": "mon-fri", "start": "06:00", "end": "14:00"},
                              {"days": "mon-fri", "start": "14:00", "end": "22:00"}]  # fmt: skip
    assert LocationSchedule.objects.get(site=berlin).schedule == schedule
    page = text(admin.get("/service-levels/schedules/BER two shifts/"))
    assert "Next working periods" in page and "06:00" in page and "22:00" in page
    starts = re.findall(r'<li><time datetime="([^"]+)"', page)
    # The shift in progress, then past the closed 31st, the New Year holiday and the weekend to Monday 4 January.
    assert starts[:2] == ["2026-12-30T06:00:00+01:00", "2027-01-04T06:00:00+01:00"]
    listing = text(client_for(plant.agent).get("/service-levels/schedules/"))
    assert "BER two shifts" in listing and "DE-BE" in listing and "ber" in listing


def test_bad_hours_are_shown_with_their_line_and_nothing_is_saved(plant: Plant) -> None:
    response = client_for(plant.admin).post(
        "/service-levels/schedules/new/", FORM | {"hours": "mon-fri 06:00-14:00\nmon-fri 22:00-06:00"}
    )
    assert response.status_code == 400
    assert "Line 2: Must be after start (split a night shift at 24:00)." in text(response)
    unknown_zone = client_for(plant.admin).post("/service-levels/schedules/new/", FORM | {"time_zone": "Mars/Olympus"})
    assert unknown_zone.status_code == 400 and 'id="id_time_zone_error"' in text(unknown_zone)
    assert not Schedule.objects.exists()


def test_the_preview_shows_the_next_periods_of_unsaved_hours(plant: Plant) -> None:
    preview = text(client_for(plant.admin).post("/service-levels/schedules/preview/", FORM))
    assert preview.count("<li>") == 10
    assert not Schedule.objects.exists()


def test_agents_read_schedules_but_cannot_change_them(plant: Plant) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    agent = client_for(plant.agent)
    assert "Only administrators change schedules." in text(agent.get("/service-levels/schedules/24x7/"))
    refused = agent.post("/service-levels/schedules/24x7/", FORM | {"name": "24x7"})
    assert refused.status_code == 403
    assert Schedule.objects.get(name="24x7").time_zone == "UTC"


def test_attainment_per_priority_with_a_chart(plant: Plant) -> None:
    from plantdesk.incidents.actions import do_update_incident

    do_create_schedule(ALWAYS, actor=plant.admin)
    for p in (1, 3):
        do_create_definition({"name": f"P{p} response", "target": "response", "duration": "PT1H", "schedule": "24x7",
                              "conditions": {"priority": [p]}, "warnings": []}, actor=plant.admin)  # fmt: skip
    met = make_incident(plant.agent, impact=1, urgency=1, assignment_group="Service Desk")
    do_update_incident(met, {"assignee": "alice"}, actor=plant.agent)  # P1 response met at once
    late = make_incident(plant.agent, assignment_group="Service Desk")  # P3
    fire_due_events(now=late.opened_at + timedelta(hours=2))  # breached...
    do_update_incident(late, {"assignee": "alice"}, actor=plant.agent)  # ...then answered
    page = text(client_for(plant.manager).get("/service-levels/attainment/", {"by": "priority"}))
    # The chart's bars and their text alternative (the SVG's description) say the same.
    assert "<title>1: 100.0 %</title>" in page and "<title>3: 0.0 %</title>" in page
    assert "3: 0.0 % (0 of 1 met); 1: 100.0 % (1 of 1 met). Target 90 %." in page  # lowest first
    assert 'class="chart-row chart-row-low"' in page  # P3, below the target, drawn as such
    assert "style=" not in page.split('<svg class="attainment-chart"', 1)[1].split("</svg>", 1)[0]


def test_a_line_works_its_own_hours_and_its_clocks_follow(plant: Plant) -> None:
    from plantdesk.cmdb.actions import do_create_ci, do_create_relationship
    from plantdesk.slas.models import SLAClock

    do_create_schedule(ALWAYS, actor=plant.admin)
    for name, cls in (("BER-L9", "line"), ("BER-L9-C1", "cell"), ("BER-L9-PLC01", "plc")):
        do_create_ci({"name": name, "ci_class": cls, "site": "ber"}, actor=plant.admin)
    do_create_relationship("BER-L9", "contains", "BER-L9-C1", actor=plant.admin)
    do_create_relationship("BER-L9-C1", "contains", "BER-L9-PLC01", actor=plant.admin)
    admin = client_for(plant.admin)
    not_a_line = admin.post("/service-levels/schedules/new/", FORM | {"lines": "BER-L9-PLC01"})
    assert not_a_line.status_code == 400 and "Not a line: BER-L9-PLC01." in text(not_a_line)
    assert not Schedule.objects.filter(name="BER two shifts").exists()
    assert admin.post("/service-levels/schedules/new/", FORM | {"lines": "BER-L9"}).status_code == 303
    p3 = {"name": "P3 resolution", "target": "resolution", "duration": "PT8H", "schedule": "24x7"}
    do_create_definition(p3 | {"use_location_schedule": True, "conditions": {"priority": [3]}}, actor=plant.admin)
    on_line = make_incident(plant.agent, ci="BER-L9-PLC01")
    elsewhere = make_incident(plant.agent)
    assert SLAClock.objects.get(record_id=on_line.pk).schedule.name == "BER two shifts"  # via cell -> line
    assert SLAClock.objects.get(record_id=elsewhere.pk).schedule.name == "24x7"
