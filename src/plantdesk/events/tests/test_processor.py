"""The processor: events become deduplicated alerts on the right CI, and alerts open, join and resolve
incidents, on the demo plant's CMDB (lines, cells, PLCs, the OT gateway)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.changes.window_actions import do_put_in_maintenance
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.models import JournalEntry
from plantdesk.events.ingest import accept, dedup_key_of
from plantdesk.events.models import AlarmFlood, Alert, AlertRule, InboxEvent, MappingRule, Silence
from plantdesk.events.processor import process_pending
from plantdesk.incidents.actions import do_add_comment, do_update_incident
from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db

PLC = {"source": "mes-ber", "node": "BER-L3-PLC01", "resource": "Filler", "type": "alarm",
       "metric": "motor_overtemp", "severity": "critical", "message": "Filler motor over temperature"}  # fmt: skip


@pytest.fixture
def mes(plant: Plant) -> User:
    load_demo_cmdb(plant.admin)
    return do_create_user("mes-ber", role="requester", actor=plant.admin, sites=["ber"], is_integration=True)


_numbers = itertools.count()


def numbered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each a separate occurrence: the inbox takes an identical payload again as a redelivery of the first."""
    return [{"event_id": f"ev-{next(_numbers)}", **event} for event in events]


def send(mes: User, *events: dict[str, Any]) -> None:
    accept(numbered(list(events)), channel="rest", actor=mes)
    process_pending()


def alert_of(event: dict[str, Any]) -> Alert:
    return Alert.objects.select_related("ci", "incident").filter(dedup_key=dedup_key_of(event)).latest("id")


def test_repeats_count_into_one_alert_on_the_ci_with_one_incident(mes: User) -> None:
    send(mes, PLC, PLC, {**PLC, "metric": "door_open", "severity": "minor"})
    send(mes, {**PLC, "message": "Filler motor still hot"})
    alert = alert_of(PLC)
    assert (alert.count, alert.state, alert.ci.name if alert.ci else None) == (3, "open", "BER-L3-PLC01")
    assert alert.message == "Filler motor still hot" and alert.first_seen <= alert.last_seen
    assert alert.area == "BER-L3"  # the line the PLC's failure reaches: where floods are counted
    incident = Incident.objects.select_related("ci", "assignment_group").get(pk=alert.incident_id)
    assert incident.ci is not None and incident.ci.name == "BER-L3-PLC01"
    assert incident.source == "event" and incident.priority == 1  # critical PLC x critical alarm
    assert incident.assignment_group is not None and incident.assignment_group.name == "OT Engineering"
    door = alert_of({**PLC, "metric": "door_open"})
    assert door.count == 1 and door.incident_id not in (None, incident.pk)
    assert Incident.objects.count() == 2
    assert not InboxEvent.objects.filter(status="accepted").exists()


def test_ci_binding_explicit_ci_then_node_then_alias_then_mapping_rules(mes: User, plant: Plant) -> None:
    alias = {**PLC, "node": "BER-Plant/EdgeNode1/L2PLC01", "metric": "a"}
    explicit = {**PLC, "ci": "BER-SCADA01", "metric": "b"}
    mapped = {**PLC, "node": "ber-line4-plc", "metric": "c"}
    unbound = {**PLC, "node": "unknown-box", "metric": "d"}
    MappingRule.objects.create(position=1, field="node", pattern="ber-line4-*",
                               ci=ConfigurationItem.objects.get(name="BER-L4-PLC01"))  # fmt: skip
    send(mes, alias, explicit, mapped, unbound)
    names = {key: alert_of(event).ci for key, event in
             {"alias": alias, "explicit": explicit, "mapped": mapped, "unbound": unbound}.items()}  # fmt: skip
    assert {k: ci.name if ci else None for k, ci in names.items()} == {
        "alias": "BER-L2-PLC01", "explicit": "BER-SCADA01", "mapped": "BER-L4-PLC01", "unbound": None,
    }  # fmt: skip
    assert alert_of(unbound).incident is not None  # unbound alerts still reach the desk, without a CI


def test_a_clear_closes_the_alert_and_resolves_the_incident_it_opened(mes: User) -> None:
    send(mes, PLC)
    send(mes, {**PLC, "severity": "clear"})
    alert = alert_of(PLC)
    incident = Incident.objects.get(pk=alert.incident_id)
    assert alert.state == "closed" and alert.closed_at is not None
    assert (incident.state, incident.resolution_code) == ("resolved", "cleared_by_source")


def test_a_trigger_within_the_reopen_window_reopens_alert_and_incident(mes: User) -> None:
    send(mes, PLC)
    send(mes, {**PLC, "severity": "clear"})
    send(mes, {**PLC, "message": "again"})
    alert = alert_of(PLC)
    assert Alert.objects.filter(dedup_key=alert.dedup_key).count() == 1
    assert (alert.state, alert.reopen_count, alert.count) == ("open", 1, 2)
    assert Incident.objects.get(pk=alert.incident_id).state == "in_progress"
    send(mes, {**PLC, "severity": "clear"})  # nobody touched it in between: the clear resolves it again
    assert Incident.objects.get(pk=alert.incident_id).state == "resolved"


def test_after_the_reopen_window_a_trigger_starts_a_new_alert(mes: User, settings: Any) -> None:
    send(mes, PLC)
    send(mes, {**PLC, "severity": "clear"})
    Alert.objects.update(closed_at=timezone.now() - timedelta(hours=2))
    send(mes, PLC)
    alerts = list(Alert.objects.filter(dedup_key=dedup_key_of(PLC)).order_by("id"))
    assert [a.state for a in alerts] == ["closed", "open"]
    assert alerts[1].incident_id != alerts[0].incident_id and Incident.objects.count() == 2


def test_a_clear_or_acknowledge_for_an_unknown_key_is_dropped_and_says_why(mes: User) -> None:
    send(mes, {**PLC, "severity": "clear"}, {**PLC, "metric": "x", "action": "acknowledge"})
    assert not Alert.objects.exists()
    reasons = sorted(InboxEvent.objects.values_list("reason", flat=True))
    assert reasons == [
        "acknowledge for a key with no open alert: dropped",
        "clear for a key with no open alert: dropped",
    ]


def test_a_clear_leaves_an_incident_a_person_has_taken_over(mes: User, plant: Plant) -> None:
    send(mes, PLC, {**PLC, "metric": "door_open"})
    incident = Incident.objects.get(pk=alert_of(PLC).incident_id)
    do_update_incident(incident, {"assignee": plant.ot_agent.username}, actor=plant.ot_agent)
    commented = Incident.objects.get(pk=alert_of({**PLC, "metric": "door_open"}).incident_id)
    do_add_comment(commented, "Checking the door switch on site.", "internal", actor=plant.ot_agent)
    send(mes, {**PLC, "severity": "clear"}, {**PLC, "metric": "door_open", "severity": "clear"})
    assert alert_of(PLC).state == "closed"
    assert Incident.objects.get(pk=incident.pk).state != "resolved"
    assert Incident.objects.get(pk=commented.pk).state != "resolved"


def test_severity_changes_are_counted_and_noted(mes: User) -> None:
    send(mes, {**PLC, "severity": "major"})
    send(mes, PLC)
    alert = alert_of(PLC)
    assert (alert.severity, alert.severity_changes, alert.count) == ("critical", 1, 2)
    notes = JournalEntry.objects.filter(record_type="incident", record_id=alert.incident_id)
    assert [n.body for n in notes] == [f"Alert {alert.dedup_key} changed severity to critical."]


def test_rules_in_order_decide_record_only_and_warnings_are_recorded_by_default(mes: User) -> None:
    AlertRule.objects.create(position=2, name="all else", action="open_incident")
    AlertRule.objects.create(position=1, name="test rig", sources=["test-*"], action="record_only")
    send(mes, {**PLC, "source": "test-rig"}, {**PLC, "metric": "m2"})
    assert alert_of({**PLC, "source": "test-rig"}).suppressed == "record_only"
    assert alert_of({**PLC, "source": "test-rig"}).incident is None
    assert alert_of({**PLC, "metric": "m2"}).incident is not None
    AlertRule.objects.all().delete()
    send(mes, {**PLC, "metric": "m3", "severity": "warning"})
    assert alert_of({**PLC, "metric": "m3"}).incident is None


def test_a_flapping_alarm_keeps_its_incident_open(mes: User) -> None:
    for _ in range(3):
        send(mes, PLC)
        send(mes, {**PLC, "severity": "clear"})
    alert = alert_of(PLC)
    assert alert.flapping and alert.state == "closed"
    assert Incident.objects.filter(pk=alert.incident_id, state__in=["new", "in_progress"]).exists()
    assert Incident.objects.count() == 1


def test_more_than_ten_alarms_on_a_line_in_ten_minutes_open_one_flood_incident(mes: User) -> None:
    alarms = [{**PLC, "metric": f"alarm_{n}", "attributes": {"line": "BER-L3"}} for n in range(14)]
    for alarm in alarms:
        send(mes, alarm)
    flood = AlarmFlood.objects.get(area="BER-L3")
    held = Alert.objects.filter(incident_id=flood.incident_id)
    assert held.count() == 4 and flood.alert_count == 4
    assert Incident.objects.count() == 10 + 1  # the first ten, and one for the flood
    assert "Alarm flood on BER-L3" in Incident.objects.get(pk=flood.incident_id).short_description


def test_alerts_on_cis_that_depend_on_a_down_ci_become_its_secondaries(mes: User) -> None:
    gateway = {"source": "sparkplug", "node": "BER-OTGW01", "type": "liveness", "metric": "offline",
               "severity": "critical", "message": "Edge node offline"}  # fmt: skip
    send(mes, gateway)
    send(mes, {**PLC, "node": "BER-L1-HMI01", "metric": "comm_loss"})  # the HMI depends on the PLC, not the gateway
    send(mes, {**PLC, "node": "BER-L2-PLC01", "metric": "comm_loss"})  # the PLC is connected to the gateway
    primary = alert_of(gateway)
    secondary = alert_of({**PLC, "node": "BER-L2-PLC01", "metric": "comm_loss"})
    if secondary.parent_id is None:  # the gateway is upstream of the PLC in the demo topology, or not at all
        pytest.fail(f"expected a secondary of {primary.dedup_key}, got {secondary.suppressed!r}")
    assert secondary.parent_id == primary.pk and secondary.suppressed == "secondary"
    assert secondary.incident_id == primary.incident_id and secondary.incident_id is not None


def test_silences_and_maintenance_record_alerts_without_incidents(mes: User, plant: Plant) -> None:
    now = timezone.now()
    Silence.objects.create(matchers={"metric": "noisy_*", "site": "ber"}, starts_at=now - timedelta(minutes=1),
                           ends_at=now + timedelta(hours=1), comment="sensor being replaced",
                           created_by=plant.ot_agent, created_at=now)  # fmt: skip
    do_put_in_maintenance({"ci": "BER-L4", "starts_at": now - timedelta(minutes=1),
                           "ends_at": now + timedelta(hours=1), "reason": "CIP"}, actor=plant.ot_agent)  # fmt: skip
    send(mes, {**PLC, "metric": "noisy_level"}, {**PLC, "node": "BER-L4-PLC01"}, {**PLC, "metric": "real"})
    assert alert_of({**PLC, "metric": "noisy_level"}).suppressed == "silenced"
    assert alert_of({**PLC, "node": "BER-L4-PLC01"}).suppressed == "maintenance"
    assert Incident.objects.count() == 1


def test_historical_values_never_open_a_live_alert(mes: User) -> None:
    send(mes, {**PLC, "attributes": {"historical": True}})
    assert not Alert.objects.exists()
    assert InboxEvent.objects.get().reason.startswith("historical")


def test_processing_is_idempotent_and_a_batch_of_repeats_costs_few_queries(
    mes: User, django_assert_max_num_queries: Any
) -> None:
    keys = [{**PLC, "metric": f"m{n}", "severity": "info"} for n in range(50)]
    send(mes, *keys)
    accept(numbered([{**k, "message": f"repeat {r}"} for r in range(20) for k in keys]), channel="rest", actor=mes)
    with django_assert_max_num_queries(12):
        assert process_pending() == 1000
    assert process_pending() == 0
    assert sorted(set(Alert.objects.values_list("count", flat=True))) == [21]


def test_a_poison_event_becomes_a_dead_letter_and_the_rest_of_its_batch_is_processed(mes: User) -> None:
    accept(numbered([PLC]), channel="rest", actor=mes)
    # An accepted row its processor cannot read: written by an older version, or altered in the database.
    InboxEvent.objects.create(channel="rest", source="mes-ber", idempotency_key="poison", dedup_key="k",
                              payload="[1, 2]", sha256="0" * 64, received_at=timezone.now())  # fmt: skip
    accept(numbered([{**PLC, "metric": "after"}]), channel="rest", actor=mes)
    assert process_pending() == 3
    assert {a.metric for a in Alert.objects.all()} == {"motor_overtemp", "after"}
    poison = InboxEvent.objects.get(idempotency_key="poison")
    assert poison.status == "dead" and poison.reason.startswith("processing failed: TypeError")


def test_a_trigger_of_severity_clear_is_a_clear(mes: User) -> None:
    send(mes, PLC)
    send(mes, {**PLC, "action": "trigger", "severity": "clear"})
    assert alert_of(PLC).state == "closed"


def test_record_only_alarms_make_no_flood_and_a_flood_after_its_incident_is_over_starts_afresh(mes: User) -> None:
    for n in range(12):
        send(mes, {**PLC, "metric": f"info_{n}", "severity": "info", "attributes": {"line": "BER-L3"}})
    assert not AlarmFlood.objects.exists() and not Incident.objects.exists()
    area = "L" * 250  # a long area name still makes a flood incident (its title is cut)
    alarms = [{**PLC, "metric": f"alarm_{n}", "attributes": {"line": area}} for n in range(13)]
    for alarm in alarms:
        send(mes, alarm)
    first = AlarmFlood.objects.get()
    assert first.incident is not None and len(first.incident.short_description) <= 160
    for alarm in alarms:
        send(mes, {**alarm, "severity": "clear"})
    assert Incident.objects.get(pk=first.incident_id).state == "resolved"
    send(mes, {**PLC, "metric": "late", "attributes": {"line": area}})
    late = alert_of({**PLC, "metric": "late"})
    assert late.incident_id != first.incident_id and late.incident is not None
    assert late.incident.state == "new"


def test_a_child_in_the_same_batch_as_its_down_parent_is_not_left_without_an_incident(mes: User) -> None:
    plc = {**PLC, "node": "BER-L2-PLC01", "metric": "comm_loss"}
    gateway = {"source": "sparkplug", "node": "BER-OTGW01", "type": "liveness", "metric": "offline",
               "severity": "critical"}  # fmt: skip
    send(mes, plc, gateway)  # the child's event came first
    child = alert_of(plc)
    assert child.incident is not None and child.incident.state == "new"


def test_times_that_cannot_be_stored_are_dead_letters(mes: User) -> None:
    accept(numbered([{**PLC, "occurred_at": "9999-12-31T23:59:59-05:00"}]), channel="rest", actor=mes)
    row = InboxEvent.objects.get()
    assert row.status == "dead" and row.reason.startswith("occurred_at:")


def test_a_secondarys_clear_leaves_the_incident_of_a_flapping_parent_open(mes: User) -> None:
    gateway = {"source": "sparkplug", "node": "BER-OTGW01", "type": "liveness", "metric": "offline",
               "severity": "critical"}  # fmt: skip
    plc = {**PLC, "node": "BER-L2-PLC01", "metric": "comm_loss"}
    for severity in ("critical", "clear", "critical", "clear", "critical"):
        send(mes, {**gateway, "severity": severity})
    assert alert_of(gateway).flapping
    send(mes, plc)
    assert alert_of(plc).parent_id == alert_of(gateway).pk
    send(mes, {**gateway, "severity": "clear"})
    send(mes, {**plc, "severity": "clear"})
    assert Incident.objects.get(pk=alert_of(gateway).incident_id).state == "in_progress"  # reopened, not resolved
