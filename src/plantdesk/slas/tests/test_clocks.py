"""SLA clocks on incidents: started by definitions, paused on hold, re-selected on priority change, met,
and warned and breached by the worker, with what the API's `sla` block shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from plantdesk.core import audit
from plantdesk.core.audit import verify_chain
from plantdesk.core.dispatch import dispatch_all
from plantdesk.core.models import AuditEntry, JournalEntry
from plantdesk.incidents.actions import do_transition_incident, do_update_incident
from plantdesk.slas.actions import do_create_definition, do_create_schedule
from plantdesk.slas.clocks import plan_next, sync_clocks
from plantdesk.slas.jobs import fire_due_events
from plantdesk.slas.models import SLAClock
from plantdesk.slas.schedules import calendar_for
from plantdesk.testing.fixtures import ApiClient, Plant, make_incident

pytestmark = pytest.mark.django_db

ALWAYS = {"name": "24x7", "time_zone": "UTC", "hours": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]}
BERLIN_DAY = {
    "name": "BER day",
    "time_zone": "Europe/Berlin",
    "hours": [{"days": "mon-fri", "start": "08:00", "end": "16:00"}],
}


@pytest.fixture
def p1_slas(plant: Plant) -> Plant:
    do_create_schedule(ALWAYS, actor=plant.admin)
    for name, target, duration in (("P1 response", "response", "PT30M"), ("P1 resolution", "resolution", "PT4H")):
        do_create_definition(
            {"name": name, "target": target, "duration": duration, "schedule": "24x7", "conditions": {"priority": [1]},
             "breach_actions": [{"action": "notify"}]},
            actor=plant.admin,
        )  # fmt: skip
    do_create_definition(
        {"name": "P2 resolution", "target": "resolution", "duration": "PT8H", "schedule": "24x7",
         "conditions": {"priority": [2]}},
        actor=plant.admin,
    )  # fmt: skip
    return plant


def clocks(incident: Any) -> dict[str, SLAClock]:
    rows = SLAClock.objects.filter(record_id=incident.pk).select_related("definition")
    return {c.definition.name: c for c in rows}


def test_a_p1_gets_response_and_resolution_clocks_shown_on_the_api(p1_slas: Plant) -> None:
    incident = make_incident(p1_slas.agent, impact=1, urgency=1)
    body = ApiClient(p1_slas.agent).get(f"/incidents/{incident.number}").json()
    shown = {c["definition"]: c for c in body["sla"]}
    assert set(shown) == {"P1 response", "P1 resolution"}
    assert shown["P1 resolution"]["state"] == "running" and shown["P1 resolution"]["target"] == "resolution"
    due = datetime.fromisoformat(shown["P1 resolution"]["due"].replace("Z", "+00:00"))
    assert due - incident.opened_at.replace(microsecond=0) == timedelta(hours=4)
    listed = ApiClient(p1_slas.agent).get("/incidents").json()["items"][0]["sla"]
    assert {c["definition"] for c in listed} == {"P1 response", "P1 resolution"}


def test_assignment_meets_the_response_target_and_resolve_the_resolution_target(p1_slas: Plant) -> None:
    incident = make_incident(p1_slas.agent, impact=1, urgency=1, assignment_group="Service Desk")
    incident = do_update_incident(incident, {"assignee": "alice"}, actor=p1_slas.agent)
    assert clocks(incident)["P1 response"].state == "achieved"
    assert clocks(incident)["P1 resolution"].state == "running"
    do_transition_incident(incident, "in_progress", actor=p1_slas.agent)
    do_transition_incident(
        incident, "resolved", actor=p1_slas.agent, resolution_code="solved_fix", resolution_notes="Replaced the PSU."
    )
    assert clocks(incident)["P1 resolution"].state == "achieved"
    assert AuditEntry.objects.filter(record_id=incident.pk, action="sla_stopped", field="sla:P1 resolution").exists()


def test_a_priority_change_cancels_the_clocks_that_no_longer_apply(p1_slas: Plant) -> None:
    incident = make_incident(p1_slas.agent, impact=2, urgency=2)  # P3: no definition
    assert clocks(incident) == {}
    incident = do_update_incident(incident, {"urgency": 1}, actor=p1_slas.agent)  # P2
    assert clocks(incident)["P2 resolution"].state == "running"
    incident = do_update_incident(incident, {"impact": 1}, actor=p1_slas.agent)  # P1
    now = clocks(incident)
    assert now["P2 resolution"].state == "canceled"
    assert now["P1 resolution"].state == "running" and now["P1 response"].state == "running"


def sync_at(incident: Any, actor: Any, now: datetime) -> None:
    with audit.action_transaction():
        sync_clocks(incident, record_type="incident", actor=actor, now=now)


def test_on_hold_pauses_and_the_due_date_moves_by_the_pause_exactly(p1_slas: Plant) -> None:
    incident = make_incident(p1_slas.agent, impact=1, urgency=1)
    opened = incident.opened_at.replace(microsecond=0)
    incident.state, incident.hold_reason = "on_hold", "awaiting_vendor"
    sync_at(incident, p1_slas.agent, opened + timedelta(hours=1))
    paused = clocks(incident)["P1 resolution"]
    assert paused.state == "paused" and paused.due_at is None
    assert paused.elapsed_us == 3_600_000_000
    incident.state, incident.hold_reason = "in_progress", ""
    sync_at(incident, p1_slas.agent, opened + timedelta(hours=3))
    resumed = clocks(incident)["P1 resolution"]
    assert resumed.state == "running"
    assert resumed.due_at == opened + timedelta(hours=6)  # 4 h of work + 2 h on hold


def test_a_clock_paused_and_resumed_outside_working_time(plant: Plant) -> None:
    do_create_schedule(BERLIN_DAY, actor=plant.admin)
    do_create_definition(
        {"name": "P3 resolution", "target": "resolution", "duration": "PT6H", "schedule": "BER day",
         "conditions": {"priority": [3]}},
        actor=plant.admin,
    )  # fmt: skip
    start = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # Thursday 15:00 in Berlin
    with time_machine.travel(start, tick=False):  # opened then, not today
        incident = make_incident(plant.agent)  # P3 (impact 2, urgency 2)
    clock = SLAClock.objects.get(record_id=incident.pk)
    assert clock.started_at == clock.segment_start == start
    assert clock.due_at == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 1 h on Thursday, 5 h on Friday: 13:00 Berlin
    incident.state, incident.hold_reason = "on_hold", "awaiting_caller"
    sync_at(incident, plant.agent, datetime(2026, 11, 26, 18, 0, tzinfo=UTC))  # 19:00 in Berlin: closed
    assert SLAClock.objects.get(pk=clock.pk).elapsed_us == 3_600_000_000  # 15:00-16:00 only
    incident.state, incident.hold_reason = "in_progress", ""
    sync_at(incident, plant.agent, datetime(2026, 11, 28, 10, 0, tzinfo=UTC))  # Saturday
    resumed = SLAClock.objects.get(pk=clock.pk)
    assert resumed.due_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # Monday 08:00 + 5 h = 13:00 Berlin


def test_the_worker_fires_warnings_then_the_breach_with_its_actions(p1_slas: Plant) -> None:
    incident = make_incident(p1_slas.agent, impact=1, urgency=1, assignment_group="Service Desk")
    opened = incident.opened_at.replace(microsecond=0)
    assert fire_due_events(now=opened + timedelta(minutes=10)) == 0
    fire_due_events(now=opened + timedelta(minutes=16))  # P1 response at 50 %
    notes = list(JournalEntry.objects.filter(record_id=incident.pk).values_list("body", flat=True))
    assert notes == ["SLA warning: P1 response (response) at 50 %, due " + _iso(opened + timedelta(minutes=30)) + "."]
    while fire_due_events(now=opened + timedelta(hours=5)):
        pass
    dispatch_all()  # the breach actions follow from the outbox
    bodies = list(JournalEntry.objects.filter(record_id=incident.pk).order_by("pk").values_list("body", flat=True))
    assert sum("P1 resolution (resolution) at" in b for b in bodies) == 3  # 50, 75, 90 %
    assert any(b.startswith("SLA breached: P1 resolution") for b in bodies)
    assert any(b == "SLA P1 resolution breached: Service Desk notified." for b in bodies)
    resolution = clocks(incident)["P1 resolution"]
    assert resolution.state == "breached" and resolution.breached_at == opened + timedelta(hours=4)
    assert verify_chain().ok


def test_a_breach_can_raise_the_priority(plant: Plant) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    do_create_definition(
        {"name": "P3 response", "target": "response", "duration": "PT1H", "schedule": "24x7", "warnings": [],
         "conditions": {"priority": [3]}, "breach_actions": [{"action": "raise_priority"}]},
        actor=plant.admin,
    )  # fmt: skip
    incident = make_incident(plant.agent)
    fire_due_events(now=incident.opened_at + timedelta(hours=1, seconds=1))
    dispatch_all()  # the breach actions: the incidents app's consumer of sla.breached, after the commit
    incident.refresh_from_db()
    assert (incident.urgency, incident.priority) == (1, 2)
    # P2 now; the P3 definition no longer applies, but its breach stays on record for the attainment report.
    assert clocks(incident)["P3 response"].state == "breached"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"conditions": {"colour": ["red"]}}, "conditions.colour"),
        ({"duration": "PT0S"}, "duration"),
        ({"duration": "-PT1H"}, "duration"),
        ({"schedule": "Nope"}, "schedule"),
        ({"target": "lunch"}, "target"),
        ({"warnings": [50, 120]}, "warnings"),
        ({"pause_hold_reasons": ["coffee"]}, "pause_hold_reasons"),
        ({"breach_actions": [{"action": "reassign", "group": "Catering"}]}, "breach_actions[0].group"),
    ],
)
def test_bad_definitions_are_refused_naming_the_field(plant: Plant, change: dict[str, Any], field: str) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    good = {"name": "P1 resolution", "target": "resolution", "duration": "PT4H", "schedule": "24x7"}
    response = ApiClient(plant.admin).post("/sla-definitions", good | change)
    assert response.status_code == 400, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert ApiClient(plant.admin).get("/sla-definitions").json()["items"] == []
    assert ApiClient(plant.admin).post("/sla-definitions", good).status_code == 201


def _iso(value: datetime) -> str:
    return timezone.localtime(value, UTC).isoformat(timespec="seconds")


def test_editing_a_schedule_moves_the_due_dates_of_running_clocks(plant: Plant) -> None:
    from plantdesk.slas.actions import do_update_schedule
    from plantdesk.slas.models import Schedule

    do_create_schedule(BERLIN_DAY, actor=plant.admin)
    do_create_definition(
        {"name": "P3 resolution", "target": "resolution", "duration": "PT4H", "schedule": "BER day",
         "conditions": {"priority": [3]}},
        actor=plant.admin,
    )  # fmt: skip
    hours = [
        {"days": "mon-fri", "start": "08:00", "end": "10:00"},
        {"days": "mon-fri", "start": "13:00", "end": "16:00"},
    ]
    with time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False):  # Monday 10:00 Berlin
        incident = make_incident(plant.agent)
        clock = SLAClock.objects.get(record_id=incident.pk)
        clock.segment_start = clock.started_at = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 Berlin
        clock.save()
        do_update_schedule(Schedule.objects.get(name="BER day"), {"hours": hours}, actor=plant.admin)
    moved = SLAClock.objects.get(pk=clock.pk)
    assert moved.elapsed_us == 2 * 3_600_000_000  # 08:00-10:00 on the old hours
    assert moved.due_at == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 2 h before the break, 2 h after: 15:00 Berlin
    assert moved.next_event_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 50 %, reached at the edit: not fired yet
    assert moved.breached_at is None and moved.warnings_fired == 0


def test_a_clock_that_ran_out_before_a_schedule_edit_breaches_when_it_ran_out(plant: Plant) -> None:
    """The worker had not got to it (stopped, say): the edit must not move the breach to the edit's instant,
    nor plan it on the new hours, nor replay its warnings now."""
    from plantdesk.slas.actions import do_update_schedule
    from plantdesk.slas.models import Schedule

    do_create_schedule(BERLIN_DAY, actor=plant.admin)
    do_create_definition(
        {"name": "P3 resolution", "target": "resolution", "duration": "PT4H", "schedule": "BER day",
         "conditions": {"priority": [3]}, "warnings": [50, 75, 90]},
        actor=plant.admin,
    )  # fmt: skip
    hours = [
        {"days": "mon-fri", "start": "08:00", "end": "10:00"},
        {"days": "mon-fri", "start": "13:00", "end": "16:00"},
    ]  # on these hours the clock would have run out at 15:00 Berlin (14:00 UTC)
    edited_at = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Monday 16:00 Berlin
    with time_machine.travel(edited_at, tick=False):
        incident = make_incident(plant.agent)
        clock = SLAClock.objects.get(record_id=incident.pk)
        clock.segment_start = clock.started_at = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 Berlin
        clock.save()
        do_update_schedule(Schedule.objects.get(name="BER day"), {"hours": hours}, actor=plant.admin)
    ran_out = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 4 h of the old 08:00-16:00 hours: 12:00 Berlin
    edited = SLAClock.objects.get(pk=clock.pk)
    assert (edited.due_at, edited.next_event_at) == (ran_out, ran_out)
    assert edited.warnings_fired == 3 and edited.breached_at is None  # the breach is the worker's to fire
    assert edited.elapsed_us == 8 * 3_600_000_000  # 08:00-16:00 on the old hours, counted

    assert fire_due_events(now=edited_at) == 1  # the breach only: no warning replayed
    assert fire_due_events(now=edited_at + timedelta(days=1)) == 0
    breached = clocks(incident)["P3 resolution"]
    assert breached.state == "breached" and breached.breached_at == ran_out and breached.due_at == ran_out
    notes = list(JournalEntry.objects.filter(record_id=incident.pk).values_list("body", flat=True))
    assert notes == [f"SLA breached: P3 resolution (resolution) was due {_iso(ran_out)}."]


def test_the_incident_page_shows_each_clock_with_time_left_and_a_bar(p1_slas: Plant) -> None:
    from plantdesk.testing.fixtures import client_for, text

    incident = make_incident(p1_slas.agent, impact=1, urgency=1)
    page = text(client_for(p1_slas.agent).get(f"/incidents/{incident.number}/"))
    assert "Service levels" in page
    assert "P1 resolution" in page and "P1 response" in page
    assert "4 h of working time left" in page or "3 h 59 min of working time left" in page
    assert 'role="meter"' in page
    for clock in SLAClock.objects.filter(record_id=incident.pk).select_related("definition", "schedule"):
        clock.started_at = clock.segment_start = clock.started_at - timedelta(hours=5)  # opened 5 h ago
        plan_next(clock, calendar_for(clock.schedule))
        clock.save()
    while fire_due_events():
        pass
    later = text(client_for(p1_slas.agent).get(f"/incidents/{incident.number}/"))
    assert "sla-breached" in later and "overdue by" in later


def test_the_queue_shows_and_sorts_by_the_soonest_due(p1_slas: Plant) -> None:
    from plantdesk.testing.fixtures import client_for, text

    p2 = make_incident(p1_slas.agent, impact=1, urgency=2, short_description="Eight hours")  # P2: 8 h
    p1 = make_incident(p1_slas.agent, impact=1, urgency=1, short_description="Thirty minutes")  # P1: 30 min
    p3 = make_incident(p1_slas.agent, short_description="No clock")  # P3: no definition
    page = text(client_for(p1_slas.agent).get("/incidents/", {"sort": "due"}))
    order = [page.index(n) for n in (p1.number, p2.number, p3.number)]
    assert order == sorted(order)
    reverse = text(client_for(p1_slas.agent).get("/incidents/", {"sort": "-due"}))
    assert reverse.index(p2.number) < reverse.index(p1.number) < reverse.index(p3.number)  # no due: last


def test_a_definition_for_incidents_whose_ci_impacts_a_service(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.cmdb.actions import do_create_ci, do_create_relationship

    do_create_schedule(ALWAYS, actor=plant.admin)
    do_create_ci({"name": "SVC-BER-BATCH", "ci_class": "business_service", "site": "ber"}, actor=plant.admin)
    do_create_relationship("SVC-BER-BATCH", "depends_on", "BER-MES-APP01", actor=plant.admin)
    do_create_definition(
        {"name": "Batch recording resolution", "target": "resolution", "duration": "PT2H", "schedule": "24x7",
         "conditions": {"service": ["SVC-BER-BATCH"]}},
        actor=plant.admin,
    )  # fmt: skip
    on_batch = make_incident(plant.agent, ci="BER-MES-APP01")
    elsewhere = make_incident(plant.agent, ci="BER-HIST01")
    assert set(clocks(on_batch)) == {"Batch recording resolution"}
    assert clocks(elsewhere) == {}


def test_a_response_met_only_by_a_public_comment(plant: Plant) -> None:
    from plantdesk.incidents.actions import do_add_comment

    do_create_schedule(ALWAYS, actor=plant.admin)
    do_create_definition(
        {"name": "Reply", "target": "response", "duration": "PT1H", "schedule": "24x7",
         "response_met_by": ["public_comment"]},
        actor=plant.admin,
    )  # fmt: skip
    incident = make_incident(plant.agent, assignment_group="Service Desk", assignee="alice")
    assert clocks(incident)["Reply"].state == "running"  # assigned, but nobody has answered the caller yet
    do_add_comment(incident, "Working on it.", "internal", actor=plant.agent)
    assert clocks(incident)["Reply"].state == "running"
    do_add_comment(incident, "We are on it; a technician is on the way.", "public", actor=plant.agent)
    assert clocks(incident)["Reply"].state == "achieved"
    bad = ApiClient(plant.admin).post(
        "/sla-definitions", {"name": "X", "target": "response", "duration": "PT1H", "schedule": "24x7",
                             "response_met_by": ["telepathy"]},
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "response_met_by"


def test_a_definition_made_by_another_process_is_found_despite_the_cache(p1_slas: Plant) -> None:
    from django.utils import timezone as tz

    from plantdesk.slas.clocks import clocks_of
    from plantdesk.slas.models import Schedule, SLADefinition

    incident = make_incident(p1_slas.agent, impact=1, urgency=1)
    clocks_of("incident", [incident.pk])  # the cache now holds the definitions as they were
    now = tz.now()
    elsewhere = SLADefinition.objects.bulk_create([SLADefinition(  # no signal: as if another process wrote it
        name="Other process", target="resolution", duration=timedelta(hours=1), schedule=Schedule.objects.get(),
        created_at=now, updated_at=now)])[0]  # fmt: skip
    SLAClock.objects.create(record_type="incident", record_id=incident.pk, definition=elsewhere,
                            schedule=Schedule.objects.get(), started_at=now, duration_us=3_600_000_000,
                            segment_start=now)  # fmt: skip
    names = [c.definition for c in clocks_of("incident", [incident.pk])[incident.pk]]
    assert "Other process" in names
