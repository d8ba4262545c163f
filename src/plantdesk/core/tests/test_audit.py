"""The audit trail: every change recorded, append-only in the database, tamper-evident by its chain."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from plantdesk.core.audit import verify_chain
from plantdesk.core.models import AuditEntry
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.testing.fixtures import Plant, make_incident


@pytest.fixture
def audited(plant: Plant) -> Plant:
    incident = make_incident(plant.agent)
    do_transition_incident(incident, "in_progress", actor=plant.agent)
    return plant


def test_chain_of_a_fresh_plant_verifies(audited: Plant, capsys: pytest.CaptureFixture[str]) -> None:
    result = verify_chain()
    assert result.ok
    assert result.checked == AuditEntry.objects.count() > 10
    call_command("audit", "verify")
    assert f"audit chain intact: {result.checked} entries verified" in capsys.readouterr().out


@pytest.mark.parametrize("statement", ["UPDATE core_auditentry SET new = 'forged'", "DELETE FROM core_auditentry"])
def test_database_refuses_update_and_delete_of_audit_entries(audited: Plant, statement: str) -> None:
    before = list(AuditEntry.objects.values_list("seq", "new"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert list(AuditEntry.objects.values_list("seq", "new")) == before


def _without_triggers(sql: str, params: list[object]) -> None:
    """What a database administrator could do: switch the protection off, change a row, switch it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred checks
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
            cursor.execute("DROP TRIGGER core_auditentry_no_delete")
            cursor.execute(sql, params)
            # The migration recreates them in the same shape; here it is enough that the row changed.


def test_verify_names_the_entry_altered_behind_the_triggers(audited: Plant) -> None:
    victim = AuditEntry.objects.filter(field="state").order_by("seq").first()
    assert victim is not None
    _without_triggers("UPDATE core_auditentry SET new = %s WHERE seq = %s", ["resolved", victim.seq])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == victim.seq
    assert "altered" in result.problem
    with pytest.raises(CommandError, match=rf"BROKEN at entry #{victim.seq}\b"):
        call_command("audit", "verify")


def test_verify_names_a_deleted_entry(audited: Plant) -> None:
    _without_triggers("DELETE FROM core_auditentry WHERE seq = %s", [5])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == 5
    assert "missing" in result.problem


def test_verify_detects_the_newest_entries_deleted(audited: Plant) -> None:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    assert last is not None
    _without_triggers("DELETE FROM core_auditentry WHERE seq >= %s", [last - 1])
    result = verify_chain()
    assert not result.ok
    assert result.first_bad_seq == last - 1


def test_a_rolled_back_action_leaves_no_audit_entries(plant: Plant) -> None:
    from plantdesk.core.errors import InvalidInput

    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput):
        make_incident(plant.agent, assignee="rita")  # a requester cannot be an assignee
    assert AuditEntry.objects.count() == before
    assert verify_chain().ok
