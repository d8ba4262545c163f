"""Event-opened incidents as an agent reads them (issue 13, point 5): titled by the alarm that opened them,
never by a clear or a later occurrence; a reopened incident no longer shows "Cleared by the source"; the
page says which alarms are active now."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.core.models import AuditEntry
from plantdesk.events.ingest import accept, dedup_key_of
from plantdesk.events.models import Alert
from plantdesk.events.processor import process_pending
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, text

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LEVEL = {"source": "scada-ber", "node": "BER-L2-PLC01", "resource": "Buffer tank T-201", "type": "alarm",
         "metric": "level_high", "severity": "minor", "message": "LSH-204 level high, buffer tank T-201"}  # fmt: skip
NORMAL = {**LEVEL, "severity": "clear", "message": "LSH-204 level normal"}
TITLE = "LSH-204 level high, buffer tank T-201 on BER-L2-PLC01"
PLC = {"source": "scada-ber", "node": "BER-L3-PLC01", "resource": "CPU", "type": "alarm", "metric": "plc_fault",
       "severity": "critical", "message": "PLC CPU fault: BER-L3-PLC01 in STOP"}  # fmt: skip
HMI = {**PLC, "node": "BER-L3-HMI01", "resource": "PROFINET", "metric": "comm_loss", "severity": "major",
       "message": "HMI lost its connection to BER-L3-PLC01"}  # fmt: skip
_ids = itertools.count()


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def scada(plant: Plant, clock: Any) -> User:
    load_demo_cmdb(plant.admin)
    return do_create_user("scada-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)


def send(scada: User, *events: dict[str, Any]) -> None:
    """One batch: every event accepted, then processed together."""
    accept([{"event_id": f"inc-{next(_ids)}", **e} for e in events], channel="rest", actor=scada)
    process_pending()


def incident_of(event: dict[str, Any]) -> Incident:
    alert = Alert.objects.filter(dedup_key=dedup_key_of(event)).latest("id")
    return Incident.objects.get(pk=alert.incident_id)


def resolution_card(page: str) -> bool:
    return '<h2 class="card-title">Resolution</h2>' in page


def test_an_alarm_and_its_clear_in_one_batch_keep_the_alarms_title(scada: User) -> None:
    send(scada, LEVEL, NORMAL)
    incident = incident_of(LEVEL)
    assert incident.short_description == TITLE
    assert incident.state == "resolved" and incident.resolution_code == "cleared_by_source"
    assert Alert.objects.get(dedup_key=dedup_key_of(LEVEL)).message == "LSH-204 level normal"  # the alert's latest


def test_later_occurrences_never_retitle_the_incident(scada: User, clock: Any) -> None:
    send(scada, PLC, {**PLC, "message": "PLC still in STOP"})  # opened and repeated in one batch
    incident = incident_of(PLC)
    assert incident.short_description == "PLC CPU fault: BER-L3-PLC01 in STOP on BER-L3-PLC01"
    clock.shift(timedelta(minutes=2))
    send(scada, {**PLC, "message": "PLC CPU fault, restart failed"})
    incident.refresh_from_db()
    assert incident.short_description == "PLC CPU fault: BER-L3-PLC01 in STOP on BER-L3-PLC01"


def test_an_alarm_back_after_its_clear_reopens_the_incident_without_the_sources_resolution(
    scada: User, plant: Plant, clock: Any
) -> None:
    send(scada, LEVEL)
    clock.shift(timedelta(minutes=3))
    send(scada, NORMAL)
    incident = incident_of(LEVEL)
    assert incident.state == "resolved"
    assert "Cleared by the source" in text(client_for(plant.agent).get(f"/incidents/{incident.number}/"))

    clock.shift(timedelta(minutes=3))
    send(scada, LEVEL)  # within the reopen window: the same alert and the same incident
    incident.refresh_from_db()
    assert (incident.state, incident.reopen_count) == ("in_progress", 1)
    assert incident.short_description == TITLE
    assert (incident.resolution_code, incident.resolution_notes) == ("", "")
    page = text(client_for(plant.agent).get(f"/incidents/{incident.number}/"))
    assert not resolution_card(page) and "Cleared by the source: alert" not in page
    assert ApiClient(plant.agent).get(f"/incidents/{incident.number}").json()["resolution_code"] is None
    # The source's resolution stays in the audit trail, as it was.
    cleared = AuditEntry.objects.filter(record_type="incident", record_id=incident.pk, field="resolution_code")
    assert [(e.old, e.new) for e in cleared.order_by("seq")] == [("", "cleared_by_source"), ("cleared_by_source", "")]


def test_a_person_reopening_a_cleared_incident_clears_the_resolution(scada: User, plant: Plant) -> None:
    send(scada, LEVEL, NORMAL)
    incident = incident_of(LEVEL)
    do_transition_incident(incident, "in_progress", actor=plant.ot_agent, reason="Level switch still wet")
    incident.refresh_from_db()
    assert (incident.state, incident.resolution_code, incident.resolution_notes) == ("in_progress", "", "")
    assert incident.short_description == TITLE
    assert not resolution_card(text(client_for(plant.agent).get(f"/incidents/{incident.number}/")))
    # Resolved again later, the new resolution is the one shown.
    do_transition_incident(incident, "resolved", actor=plant.ot_agent, resolution_code="solved_fix",
                           resolution_notes="Replaced the level switch.")  # fmt: skip
    page = text(client_for(plant.agent).get(f"/incidents/{incident.number}/"))
    assert resolution_card(page) and "Replaced the level switch." in page and "Cleared by the source" not in page


def alarms_section(page: str) -> str:
    return page.split('id="incident-alerts-title"')[1].split("</section>")[0]


def test_the_incident_page_says_which_alarms_are_active_now_active_first(scada: User, plant: Plant, clock: Any) -> None:
    send(scada, PLC)
    clock.shift(timedelta(minutes=1))
    send(scada, HMI)  # the HMI depends on the PLC: its alarm joins the PLC's incident
    incident = incident_of(PLC)
    assert incident_of(HMI).pk == incident.pk
    clock.shift(timedelta(minutes=46))
    send(scada, {**HMI, "severity": "clear", "message": "HMI connected again"})
    clock.shift(timedelta(minutes=5))
    send(scada, {**PLC, "message": "PLC still in STOP"})  # the PLC's is now the older activity, yet first

    section = alarms_section(text(client_for(plant.agent).get(f"/incidents/{incident.number}/")))
    assert "1 alert active now" in section and "2 alerts in all" in section
    states = re.findall(r'data-state="(\w+)"', section)
    assert states == ["open", "closed"]
    active, cleared = section.split('data-state="closed"')
    assert "Active" in active and "Critical" in active and "PLC still in STOP" in active
    assert re.search(r"Cleared at [^<]*09:47|Cleared at [^<]*10:47", cleared), cleared  # 09:47 UTC, shown in a zone
    assert "Major" in cleared and "HMI connected again" in cleared

    send(scada, {**PLC, "severity": "clear", "message": "PLC back in RUN"})
    section = alarms_section(text(client_for(plant.agent).get(f"/incidents/{incident.number}/")))
    assert "No alert active now" in section and "Active</span>" not in section


def test_the_alarms_panel_costs_no_query_per_alarm(scada: User, plant: Plant) -> None:
    send(scada, PLC)
    incident = incident_of(PLC)
    client = client_for(plant.agent)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/incidents/{incident.number}/").status_code == 200
        return len(queries)

    page_queries()  # warms the per-process configuration caches
    one = page_queries()
    for n in range(4):
        send(scada, {**HMI, "metric": f"comm_loss_{n}"})  # secondaries: they join the PLC's incident
    assert Alert.objects.filter(incident=incident).count() == 5
    assert page_queries() == one
