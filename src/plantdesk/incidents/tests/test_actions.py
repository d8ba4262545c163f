"""Incident rules of DOMAIN.md section 1, exercised through the actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from plantdesk.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from plantdesk.core.models import AuditEntry
from plantdesk.incidents.actions import (
    do_add_comment,
    do_auto_close_resolved,
    do_create_incident,
    do_transition_incident,
    do_update_incident,
)
from plantdesk.incidents.models import Incident, PriorityMatrix
from plantdesk.testing.fixtures import Plant, make_incident


def resolve(incident: Incident, actor: object, **extra: str) -> Incident:
    return do_transition_incident(
        incident, "resolved", actor=actor, resolution_code="solved_fix", resolution_notes="Replaced the PSU.", **extra
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, 1), (1, 2, 2), (1, 3, 3), (2, 1, 2), (2, 2, 3), (2, 3, 4), (3, 1, 3), (3, 2, 4), (3, 3, 5)],
)
def test_priority_follows_the_itil_matrix(plant: Plant, impact: int, urgency: int, priority: int) -> None:
    assert make_incident(plant.agent, impact=impact, urgency=urgency).priority == priority


def test_priority_matrix_is_configurable_and_recomputed_on_change(plant: Plant) -> None:
    PriorityMatrix.objects.filter(impact=3, urgency=3).update(priority=4)
    incident = make_incident(plant.agent, impact=3, urgency=3)
    assert incident.priority == 4
    updated = do_update_incident(incident, {"impact": 1, "urgency": 1}, actor=plant.agent)
    assert updated.priority == 1
    history = AuditEntry.objects.filter(record_id=incident.pk, field="priority").values_list("old", "new")
    assert ("4", "1") in list(history)


def test_create_defaults_group_site_and_caller(plant: Plant) -> None:
    incident = do_create_incident({"short_description": "HMI frozen"}, actor=plant.requester)
    assert incident.caller == plant.requester
    assert incident.site is not None and incident.site.code == "ber"
    assert incident.assignment_group is not None and incident.assignment_group.name == "Service Desk"
    assert incident.source == "portal"
    assert incident.state == "new"


def test_requester_cannot_route_or_set_caller(plant: Plant) -> None:
    with pytest.raises(Forbidden) as refused:
        do_create_incident({"short_description": "x", "assignment_group": "Network"}, actor=plant.requester)
    assert refused.value.errors[0].field == "assignment_group"
    assert not Incident.objects.exists()


def test_assignee_must_belong_to_the_group(plant: Plant) -> None:
    with pytest.raises(InvalidInput) as refused:
        make_incident(plant.agent, assignment_group="Network", assignee="alice")
    assert refused.value.errors[0].field == "assignee"
    assert not Incident.objects.exists()


def test_unknown_names_are_reported_per_field_and_nothing_is_written(plant: Plant) -> None:
    with pytest.raises(InvalidInput) as refused:
        make_incident(plant.agent, assignment_group="Nope", caller="ghost", category="weather")
    fields = {e.field for e in refused.value.errors}
    assert fields == {"assignment_group", "caller", "category"}
    assert not Incident.objects.exists()


def test_moving_to_another_group_drops_an_assignee_outside_it(plant: Plant) -> None:
    incident = make_incident(plant.agent, assignment_group="Service Desk", assignee="alice")
    moved = do_update_incident(incident, {"assignment_group": "OT Engineering"}, actor=plant.agent)
    assert moved.assignee is None


def test_on_hold_needs_a_reason_and_the_callers_reply_resumes(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    with pytest.raises(InvalidInput) as refused:
        do_transition_incident(incident, "on_hold", actor=plant.agent)
    assert refused.value.errors[0].field == "hold_reason"
    do_transition_incident(incident, "on_hold", actor=plant.agent, hold_reason="awaiting_caller")
    do_add_comment(incident, "An internal note does not resume it", "internal", actor=plant.agent)
    incident.refresh_from_db()
    assert incident.state == "on_hold"
    do_add_comment(incident, "The batch screen shows error 42.", "public", actor=plant.requester)
    incident.refresh_from_db()
    assert incident.state == "in_progress"
    assert incident.hold_reason == ""


def test_awaiting_vendor_is_not_resumed_by_the_caller(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    do_transition_incident(incident, "on_hold", actor=plant.agent, hold_reason="awaiting_vendor")
    do_add_comment(incident, "Any news?", "public", actor=plant.requester)
    incident.refresh_from_db()
    assert incident.state == "on_hold"


def test_resolve_needs_code_and_notes(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    with pytest.raises(InvalidInput) as refused:
        do_transition_incident(incident, "resolved", actor=plant.agent, resolution_code="bogus")
    assert {e.field for e in refused.value.errors} == {"resolution_code", "resolution_notes"}
    incident.refresh_from_db()
    assert incident.state == "new"


def test_reopen_counts_and_remembers_who(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    resolve(incident, plant.agent)
    reopened = do_transition_incident(incident, "in_progress", actor=plant.requester)
    assert reopened.reopen_count == 1
    assert reopened.reopened_by == plant.requester
    assert reopened.resolved_at is None
    resolve(reopened, plant.agent)
    again = do_transition_incident(reopened, "in_progress", actor=plant.agent)
    assert again.reopen_count == 2


def test_invalid_transition_is_refused_with_allowed_states(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    with pytest.raises(Conflict) as refused:
        do_transition_incident(incident, "closed", actor=plant.agent)
    assert refused.value.allowed == ["in_progress", "on_hold", "resolved", "canceled"]
    assert "allowed next states" in refused.value.detail


def test_caller_may_only_reopen_accept_or_withdraw(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    with pytest.raises(Conflict):
        do_transition_incident(incident, "in_progress", actor=plant.requester)
    resolve(incident, plant.agent)
    closed = do_transition_incident(incident, "closed", actor=plant.requester)
    assert closed.state == "closed"
    assert closed.closed_at is not None


def test_cancel_needs_a_reason_and_closed_records_refuse_changes(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    with pytest.raises(InvalidInput):
        do_transition_incident(incident, "canceled", actor=plant.agent, reason="  ")
    canceled = do_transition_incident(incident, "canceled", actor=plant.agent, reason="Raised twice.")
    assert canceled.cancel_reason == "Raised twice."
    with pytest.raises(Conflict):
        do_update_incident(canceled, {"impact": 1}, actor=plant.agent)
    with pytest.raises(Conflict):
        do_add_comment(canceled, "hello", "public", actor=plant.agent)
    entry = AuditEntry.objects.get(record_id=incident.pk, field="state", new="canceled")
    assert entry.reason == "Raised twice."


def test_resolving_a_parent_resolves_open_children_with_its_notes(plant: Plant) -> None:
    parent = make_incident(plant.agent, short_description="MES down for line 3")
    open_child = make_incident(plant.agent, parent=parent.number)
    on_hold_child = make_incident(plant.agent, parent=parent.number)
    do_transition_incident(on_hold_child, "on_hold", actor=plant.agent, hold_reason="awaiting_vendor")
    canceled_child = make_incident(plant.agent, parent=parent.number)
    do_transition_incident(canceled_child, "canceled", actor=plant.agent, reason="dup")
    resolve(parent, plant.agent)
    for child in (open_child, on_hold_child):
        child.refresh_from_db()
        assert child.state == "resolved"
        assert child.resolution_notes == "Replaced the PSU."
        assert child.resolution_code == "solved_fix"
    canceled_child.refresh_from_db()
    assert canceled_child.state == "canceled"


def test_parent_cycles_are_refused(plant: Plant) -> None:
    a = make_incident(plant.agent)
    b = make_incident(plant.agent, parent=a.number)
    with pytest.raises(InvalidInput) as refused:
        do_update_incident(a, {"parent": b.number}, actor=plant.agent)
    assert refused.value.errors[0].field == "parent"


def test_agents_only_reach_incidents_of_their_sites(plant: Plant) -> None:
    singapore = make_incident(plant.agent_sin, caller="sam")
    with pytest.raises(NotFound):
        do_update_incident(singapore, {"impact": 1}, actor=plant.agent)
    with pytest.raises(NotFound):
        do_add_comment(singapore, "hi", "public", actor=plant.requester)


def test_requester_cannot_write_internal_notes_or_edit_fields(plant: Plant) -> None:
    incident = make_incident(plant.agent, caller="rita")
    with pytest.raises(Forbidden):
        do_add_comment(incident, "psst", "internal", actor=plant.requester)
    with pytest.raises(Forbidden):
        do_update_incident(incident, {"impact": 1}, actor=plant.requester)


def test_stale_update_is_refused(plant: Plant) -> None:
    incident = make_incident(plant.agent)
    seen = incident.updated_at
    do_update_incident(incident, {"impact": 1}, actor=plant.agent)
    with pytest.raises(Conflict):
        do_update_incident(incident, {"urgency": 1}, actor=plant.agent, expected_updated_at=seen)


def test_every_field_change_is_audited_with_old_and_new(plant: Plant) -> None:
    incident = make_incident(plant.agent, impact=3)
    do_update_incident(incident, {"impact": 1, "assignee": "alice", "major_incident": True}, actor=plant.manager)
    rows = {
        e.field: (e.old, e.new, e.actor_username)
        for e in AuditEntry.objects.filter(record_id=incident.pk, action="updated")
    }
    assert rows["impact"] == ("3", "1", "maria")
    assert rows["assignee"] == ("", "alice", "maria")
    assert rows["major_incident"] == ("false", "true", "maria")


def test_an_update_that_changes_nothing_writes_nothing(plant: Plant) -> None:
    incident = make_incident(plant.agent, impact=2)
    before = AuditEntry.objects.count()
    do_update_incident(incident, {"impact": 2}, actor=plant.agent)
    assert AuditEntry.objects.count() == before


def test_auto_close_closes_only_incidents_resolved_long_enough_ago(plant: Plant, settings: object) -> None:
    old = make_incident(plant.agent)
    recent = make_incident(plant.agent)
    resolve(old, plant.agent)
    resolve(recent, plant.agent)
    later = timezone.now() + timedelta(days=5, minutes=1)
    Incident.objects.filter(pk=recent.pk).update(resolved_at=later - timedelta(days=1))  # resolved 4 days before
    closed = do_auto_close_resolved(actor=plant.system, now=later)
    assert closed == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.state == "closed"
    assert recent.state == "resolved"
    entry = AuditEntry.objects.get(record_id=old.pk, field="state", new="closed")
    assert entry.actor_username == "system"
    assert "Automatically closed" in entry.reason


def test_assignment_rules_route_incidents_raised_without_a_group(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.incidents.actions import do_create_assignment_rule

    do_create_assignment_rule("Line 3 OT", group="OT Engineering", ci_prefix="BER-L3-", order=10, actor=plant.admin)
    do_create_assignment_rule("Network", group="Network", category="network", order=20, actor=plant.admin)
    do_create_assignment_rule("Singapore", group="Network", site="sin", order=30, actor=plant.admin)
    on_line_3 = do_create_incident({"short_description": "Filler stops", "ci": "BER-L3-PLC01"}, actor=plant.requester)
    wifi = do_create_incident({"short_description": "Wi-Fi drops", "category": "network"}, actor=plant.requester)
    printer = do_create_incident({"short_description": "Printer jam", "category": "hardware"}, actor=plant.requester)
    in_singapore = do_create_incident({"short_description": "Scanner"}, actor=plant.requester_sin)
    assert on_line_3.assignment_group is not None and on_line_3.assignment_group.name == "OT Engineering"
    assert wifi.assignment_group is not None and wifi.assignment_group.name == "Network"
    assert printer.assignment_group is not None and printer.assignment_group.name == "Service Desk"  # the default
    assert in_singapore.assignment_group is not None and in_singapore.assignment_group.name == "Network"
    explicit = make_incident(plant.agent, category="network", assignment_group="MES Support")
    assert explicit.assignment_group is not None and explicit.assignment_group.name == "MES Support"


def test_the_cis_support_group_comes_before_the_rules(plant: Plant, plant_cis: dict[str, Any]) -> None:
    from plantdesk.incidents.actions import do_create_assignment_rule

    do_create_assignment_rule("Network", group="Network", category="network", order=10, actor=plant.admin)
    historian = do_create_incident(
        {"short_description": "Historian unreachable", "category": "network", "ci": "BER-HIST01"}, actor=plant.requester
    )
    assert historian.assignment_group is not None and historian.assignment_group.name == "OT Engineering"
    assert historian.ci == plant_cis["BER-HIST01"]


def test_an_incident_on_a_ci_is_at_the_cis_site(plant: Plant, plant_cis: dict[str, Any]) -> None:
    on_singapore_mes = make_incident(plant.manager, ci="SIN-MES-APP01")  # the manager works from Berlin
    assert on_singapore_mes.site is not None and on_singapore_mes.site.code == "sin"
    assert on_singapore_mes.assignment_group is not None and on_singapore_mes.assignment_group.name == "MES Support"


def test_a_ci_is_found_by_its_alias_and_retired_cis_take_no_new_incidents(
    plant: Plant, plant_cis: dict[str, Any]
) -> None:
    from plantdesk.cmdb.actions import do_retire_ci, do_update_ci

    do_update_ci(plant_cis["BER-HIST01"], {"aliases": ["berhist01.plant.local"]}, actor=plant.admin)
    by_alias = make_incident(plant.agent, ci="berhist01.plant.local")
    assert by_alias.ci == plant_cis["BER-HIST01"]
    do_retire_ci(plant_cis["BER-HIST01"], "Replaced by the new historian.", actor=plant.admin)
    with pytest.raises(InvalidInput) as refused:
        make_incident(plant.agent, ci="BER-HIST01")
    assert [e.field for e in refused.value.errors] == ["ci"]
    assert "retired" in refused.value.errors[0].message


def test_assignment_rules_are_for_admins_and_name_bad_fields(plant: Plant) -> None:
    from plantdesk.incidents.actions import do_create_assignment_rule
    from plantdesk.incidents.models import AssignmentRule

    with pytest.raises(Forbidden):
        do_create_assignment_rule("x", group="Network", actor=plant.manager)
    with pytest.raises(InvalidInput) as refused:
        do_create_assignment_rule("x", group="Catering", site="mars", category="weather", actor=plant.admin)
    assert {e.field for e in refused.value.errors} == {"group", "site", "category"}
    assert not AssignmentRule.objects.exists()
