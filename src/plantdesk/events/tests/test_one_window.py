"""One maintenance window for both: the plant enters its Saturday night once, on change enablement's window,
and the same window admits the changes planned in it and records the alarms it causes without incidents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.changes.actions import do_create_change
from plantdesk.changes.window_actions import do_create_window, do_deactivate_window
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.events.ingest import accept, dedup_key_of
from plantdesk.events.models import Alert
from plantdesk.events.processor import process_pending
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db

ALARM = {"source": "mes-ber", "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
         "metric": "motor_overtemp", "severity": "critical", "message": "Filler motor over temperature"}  # fmt: skip
SATURDAY_NIGHT = datetime(2027, 1, 16, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
MONDAY = datetime(2027, 1, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def mes(plant: Plant) -> User:
    load_demo_cmdb(plant.admin)
    return do_create_user("mes-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)


def alarm(mes: User, event_id: str, **fields: str) -> Alert:
    event = {**ALARM, **fields, "event_id": event_id}
    accept([event], channel="rest", actor=mes)
    process_pending()
    return Alert.objects.select_related("incident").filter(dedup_key=dedup_key_of(event)).latest("id")


def change_kinds(plant: Plant, start: str, end: str) -> set[str]:
    change = do_create_change(
        {"type": "normal", "short_description": "Replace the filler PLC's firmware", "justification": "Vendor fix.",
         "implementation_plan": "Flash it.", "backout_plan": "Flash the old one.", "test_plan": "Run a batch.",
         "cis": ["BER-L3-PLC01"], "planned_start": start, "planned_end": end, "assignment_group": "OT Engineering",
         "risk_answers": {"production_stop": True, "no_backout": False}},
        actor=plant.ot_agent,
    )  # fmt: skip
    return {c.kind for c in change.conflicts.all()}


def test_the_line_3_saturday_night_suppresses_alarms_and_admits_changes(plant: Plant, mes: User) -> None:
    with time_machine.travel(datetime(2027, 1, 1, 12, 0, tzinfo=UTC), tick=False):
        window = do_create_window(
            {"kind": "maintenance", "name": "Line 3 Saturday nights", "start": "2027-01-02T22:00:00+01:00",
             "end": "2027-01-03T06:00:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=SA", "time_zone": "Europe/Berlin",
             "cis": ["BER-L3"]},
            actor=plant.admin,
        )  # fmt: skip
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        during = alarm(mes, "sat-1")  # on a PLC the line contains
    assert (during.suppressed, during.incident) == ("maintenance", None)
    with time_machine.travel(MONDAY, tick=False):
        after = alarm(mes, "mon-1", metric="door_open")
        assert after.suppressed == "" and after.incident is not None
        # The same window: a change planned in the night fits, one on a Tuesday morning does not.
        assert "outside_maintenance_window" not in change_kinds(plant, "2027-01-23T23:00:00+01:00",
                                                                "2027-01-24T01:00:00+01:00")  # fmt: skip
        assert "outside_maintenance_window" in change_kinds(plant, "2027-01-26T10:00:00+01:00",
                                                            "2027-01-26T12:00:00+01:00")  # fmt: skip
        do_deactivate_window(window, actor=plant.admin, reason="Line 3 runs three shifts from now on.")
    with time_machine.travel(SATURDAY_NIGHT.replace(day=23), tick=False):
        deactivated = alarm(mes, "sat-2", metric="low_pressure")
    assert deactivated.suppressed == "" and deactivated.incident is not None  # a deactivated window does nothing


def test_what_is_under_maintenance_follows_new_windows_and_occurrence_ends_at_once(plant: Plant, mes: User) -> None:
    """Worked out once and kept while nothing changes: a window put in at any moment counts at the next
    batch, and an occurrence's end ends the suppression on time."""
    from datetime import timedelta

    from plantdesk.changes.window_actions import do_put_in_maintenance

    with time_machine.travel(datetime(2027, 1, 1, 12, 0, tzinfo=UTC), tick=False):
        do_create_window(
            {"kind": "maintenance", "name": "Line 3 Saturday nights", "start": "2027-01-02T22:00:00+01:00",
             "end": "2027-01-03T06:00:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=SA", "time_zone": "Europe/Berlin",
             "cis": ["BER-L3"]},
            actor=plant.admin,
        )  # fmt: skip
    with time_machine.travel(SATURDAY_NIGHT, tick=False):
        assert alarm(mes, "a-1").suppressed == "maintenance"
        assert alarm(mes, "b-1", node="BER-L4-PLC01").suppressed == ""  # line 4 runs
    with time_machine.travel(SATURDAY_NIGHT + timedelta(minutes=5), tick=False):
        do_put_in_maintenance({"ci": "BER-L4", "ends_at": SATURDAY_NIGHT + timedelta(hours=2),
                               "reason": "Seal change"}, actor=plant.ot_agent)  # fmt: skip
        assert alarm(mes, "b-2", node="BER-L4-PLC01", metric="seal").suppressed == "maintenance"
    sunday_morning = datetime(2027, 1, 17, 5, 1, tzinfo=UTC)  # 06:01 in Berlin: the night is over
    with time_machine.travel(sunday_morning, tick=False):
        assert alarm(mes, "a-2", metric="door_open").suppressed == ""
