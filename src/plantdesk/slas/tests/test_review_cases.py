"""The edge cases a plant meets: breaches while paused or unnoticed, escalation, reopen, answers on
creation, schedule edits mid-clock, bad conditions and extreme inputs, and what each viewer may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from plantdesk.core import audit
from plantdesk.core.dispatch import dispatch_all
from plantdesk.core.models import EventDelivery
from plantdesk.incidents.actions import do_transition_incident, do_update_incident
from plantdesk.incidents.reactions import SLA_BREACH_ACTIONS
from plantdesk.slas.actions import do_create_definition, do_create_schedule
from plantdesk.slas.clocks import sync_clocks
from plantdesk.slas.jobs import fire_due_events
from plantdesk.slas.models import SLAClock
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, make_incident, text

pytestmark = pytest.mark.django_db

ALWAYS = {"name": "24x7", "time_zone": "UTC", "hours": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]}


def define(plant: Plant, name: str, target: str, duration: str, priority: int, **extra: Any) -> None:
    do_create_definition(
        {
            "name": name,
            "target": target,
            "duration": duration,
            "schedule": "24x7",
            "conditions": {"priority": [priority]},
        }
        | extra,
        actor=plant.admin,
    )


@pytest.fixture
def slas(plant: Plant) -> Plant:
    do_create_schedule(ALWAYS, actor=plant.admin)
    define(plant, "P3 resolution", "resolution", "PT24H", 3, breach_actions=[{"action": "raise_priority"}])
    define(plant, "P2 resolution", "resolution", "PT8H", 2)
    define(plant, "P3 response", "response", "PT2H", 3)
    return plant


def clock(incident: Any, name: str) -> SLAClock:
    return SLAClock.objects.select_related("definition").get(record_id=incident.pk, definition__name=name)


def sync_at(incident: Any, actor: Any, when: Any) -> None:
    with audit.action_transaction():
        sync_clocks(incident, record_type="incident", actor=actor, now=when)


def test_an_overdue_clock_put_on_hold_and_resolved_stays_breached(slas: Plant) -> None:
    incident = make_incident(slas.agent)  # P3, worker down: nothing fired
    opened = incident.opened_at.replace(microsecond=0)
    incident.state, incident.hold_reason = "on_hold", "awaiting_vendor"
    sync_at(incident, slas.agent, opened + timedelta(hours=30))
    incident.state, incident.hold_reason = "resolved", ""
    sync_at(incident, slas.agent, opened + timedelta(hours=31))
    resolution = clock(incident, "P3 resolution")
    assert resolution.state == "breached" and resolution.breached_at == opened + timedelta(hours=24)
    assert resolution.paused_at is None and resolution.paused_wall_us == 3_600_000_000
    incident.state = "in_progress"  # reopened: no warning is replayed, the breach keeps its instant
    sync_at(incident, slas.agent, opened + timedelta(hours=32))
    assert fire_due_events(now=opened + timedelta(hours=33)) == 0
    assert clock(incident, "P3 resolution").breached_at == opened + timedelta(hours=24)


def test_escalation_keeps_the_breach_on_record_and_counts_from_the_first_start(slas: Plant) -> None:
    incident = make_incident(slas.agent)  # P3: 24 h
    opened = incident.opened_at.replace(microsecond=0)
    incident.urgency, incident.priority = 1, 2  # to P2 (8 h) after 6 h
    sync_at(incident, slas.agent, opened + timedelta(hours=6))
    p2 = clock(incident, "P2 resolution")
    assert p2.started_at == opened and p2.elapsed_us == 6 * 3_600_000_000
    assert p2.due_at == opened + timedelta(hours=8)  # not 6 + 8 h: the target counts from the first start
    assert p2.warnings_fired == 2  # 50 % passed at 4 h: not announced again; 75 % still to come
    assert clock(incident, "P3 resolution").state == "canceled"


def _breach_actions_due() -> list[EventDelivery]:
    return list(EventDelivery.objects.filter(consumer=SLA_BREACH_ACTIONS, state=EventDelivery.PENDING))


def test_a_raise_priority_breach_action_runs_once_and_survives_a_crash(slas: Plant) -> None:
    incident = make_incident(slas.agent)
    opened = incident.opened_at
    # The round commits the breach; the actions run after it, from the outbox. Simulate a crash in between:
    with audit.action_transaction():
        from plantdesk.slas.jobs import _fire, lock_due

        for due_clock in lock_due(opened + timedelta(hours=25), 500):
            if due_clock.definition.name == "P3 resolution":
                while due_clock.warnings_fired < 4:
                    _fire(due_clock, incident, slas.system)
    assert len(_breach_actions_due()) == 1
    incident.refresh_from_db()
    assert (incident.urgency, incident.priority) == (2, 3)  # nothing yet: the breach committed, not its actions
    assert dispatch_all() >= 1  # the next worker round
    assert dispatch_all() == 0
    incident.refresh_from_db()
    assert (incident.urgency, incident.priority) == (1, 2)  # raised once, not twice
    assert _breach_actions_due() == []
    assert clock(incident, "P3 resolution").state == "breached"


def test_breach_actions_skip_an_incident_closed_meanwhile(plant: Plant) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    define(plant, "P3 response", "response", "PT1H", 3, warnings=[],
           breach_actions=[{"action": "reassign", "group": "Network"}])  # fmt: skip
    incident = make_incident(plant.agent, assignment_group="Service Desk")
    with audit.action_transaction():
        from plantdesk.slas.jobs import _fire, lock_due

        for due_clock in lock_due(incident.opened_at + timedelta(hours=2), 500):
            _fire(due_clock, incident, plant.system)  # breached; the worker stops before the actions
    do_transition_incident(incident, "canceled", actor=plant.agent, reason="Duplicate.")
    assert len(_breach_actions_due()) == 1
    dispatch_all()
    incident.refresh_from_db()
    assert incident.assignment_group is not None and incident.assignment_group.name == "Service Desk"
    assert _breach_actions_due() == []


def test_a_response_met_on_creation_is_recorded_as_achieved(slas: Plant) -> None:
    incident = make_incident(slas.agent, assignment_group="Service Desk", assignee="alice")
    assert clock(incident, "P3 response").state == "achieved"
    incident = do_update_incident(incident, {"assignee": None}, actor=slas.agent)
    assert clock(incident, "P3 response").state == "achieved"  # unassigning does not restart it


def test_a_schedule_edit_changes_the_future_not_the_past(plant: Plant) -> None:
    from plantdesk.slas.actions import do_update_schedule
    from plantdesk.slas.models import Schedule

    do_create_schedule(ALWAYS, actor=plant.admin)
    define(plant, "P3 resolution", "resolution", "PT10H", 3)
    edited_at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday, after that day's new office hour
    with time_machine.travel(edited_at, tick=False):
        incident = make_incident(plant.agent)
        started = clock(incident, "P3 resolution")
        started.started_at = started.segment_start = started.started_at - timedelta(hours=6)  # 6 h worked
        started.save()
        office = [{"days": "mon-fri", "start": "09:00", "end": "10:00"}]  # now 1 h a weekday
        do_update_schedule(Schedule.objects.get(name="24x7"), {"hours": office}, actor=plant.admin)
    edited = clock(incident, "P3 resolution")
    assert edited.elapsed_us == 6 * 3_600_000_000 and edited.segment_start == edited_at
    assert edited.due_at is not None and edited.due_at - edited.segment_start >= timedelta(days=3)  # 4 h at 1 h/day
    assert edited.due_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Thursday, Friday, Monday, Tuesday 09:00-10:00


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"service": [["x"]]}, "conditions.service"),
        ({"priority": ["1"]}, "conditions.priority"),
        ({"site": ["mars"]}, "conditions.site"),
        ({"ci_class": ["toaster"]}, "conditions.ci_class"),
        ({"category": ["weather"]}, "conditions.category"),
        ({"major_incident": ["yes"]}, "conditions.major_incident"),
    ],
)
def test_condition_values_are_checked(plant: Plant, conditions: dict[str, Any], field: str) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    body = {"name": "X", "target": "resolution", "duration": "PT1H", "schedule": "24x7", "conditions": conditions}
    response = ApiClient(plant.admin).post("/sla-definitions", body)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field
    make_incident(plant.agent)  # incident writes keep working


def test_a_definition_can_be_switched_off(slas: Plant) -> None:
    changed = ApiClient(slas.admin).patch("/sla-definitions/P3 response", {"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert ApiClient(slas.agent).patch("/sla-definitions/P3 response", {"active": True}).status_code == 403
    incident = make_incident(slas.agent)
    assert not SLAClock.objects.filter(record_id=incident.pk, definition__name="P3 response").exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "9998-01-01T00:00:00Z", "duration": "PT1H"}, "start"),
        ({"start": "0001-01-01T00:00:00Z", "duration": "PT1H"}, "start"),
        ({"start": "2026-11-26T00:00:00Z", "duration": "P3650D"}, "duration"),
    ],
)
def test_extreme_due_requests_are_refused(plant: Plant, params: dict[str, str], field: str) -> None:
    tiny = [{"days": "mon", "start": "09:00", "end": "09:15"}]
    do_create_schedule({"name": "Tiny", "time_zone": "UTC", "hours": tiny}, actor=plant.admin)
    response = ApiClient(plant.agent).get("/schedules/Tiny/due", **params)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == field


def test_schedule_names_the_pages_use_are_refused(plant: Plant) -> None:
    for name in ("BER/SIN", "new", "preview"):
        response = ApiClient(plant.admin).post("/schedules", ALWAYS | {"name": name})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "name"
    assert client_for(plant.manager).get("/service-levels/attainment/", {"end": "9999-12"}).status_code == 400


def test_attainment_shows_only_what_the_viewer_may_see_and_requesters_see_no_olas(plant: Plant) -> None:
    do_create_schedule(ALWAYS, actor=plant.admin)
    define(plant, "P3 response", "response", "PT1H", 3, warnings=[])
    do_create_definition({"name": "Desk OLA", "kind": "ola", "target": "resolution", "duration": "PT4H",
                          "schedule": "24x7"}, actor=plant.admin)  # fmt: skip
    singapore = make_incident(plant.agent_sin, assignment_group="Network", assignee="siti")  # response met
    assert singapore.site is not None and singapore.site.code == "sin"
    berlin_page = text(client_for(plant.agent).get("/service-levels/attainment/", {"by": "site"}))
    assert "<title>sin: " not in berlin_page
    assert "<title>sin: 100.0 %</title>" in text(
        client_for(plant.admin).get("/service-levels/attainment/", {"by": "site"})
    )
    mine = make_incident(plant.requester)
    seen = ApiClient(plant.requester).get(f"/incidents/{mine.number}").json()["sla"]
    assert [c["definition"] for c in seen] == ["P3 response"]  # the OLA is the desk's business
    agent_view = ApiClient(plant.agent).get(f"/incidents/{mine.number}").json()["sla"]
    assert {c["definition"] for c in agent_view} == {"P3 response", "Desk OLA"}
