"""Migration 0004 turns incident CI names into references: names and aliases are linked, an unknown name
is kept in the description, and a rollback writes the names back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def before() -> list[tuple[str, str | None]]:
    """Every app at its newest migration but incidents, just before 0004, events, whose alerts refer to
    incidents from its 0002 on, and changes, problems and requests, whose incident links need incidents 0004."""
    held_back = [("incidents", "0003_open_recent_index"), ("events", "0001_inbox"), ("changes", None),
                 ("problems", None), ("requests", None)]  # fmt: skip
    return [n for n in latest() if n[0] not in ("incidents", "events", "changes", "problems", "requests")] + held_back


def migrate(targets: list[tuple[str, str | None]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps  # (app, None): unapplied


# SQLite alters schemas only outside a transaction; PostgreSQL alters them inside one, and a transactional
# test there is rolled back (a flush would TRUNCATE the append-only audit table, which its trigger refuses).
SQLITE = connection.vendor == "sqlite"


@pytest.mark.skipif(not SQLITE, reason="the PostgreSQL variant below runs the same check")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # finds the seeded rows another such test flushed
def test_names_become_references_and_come_back_on_rollback_sqlite() -> None:
    check_names_become_references_and_come_back()


@pytest.mark.skipif(SQLITE, reason="the SQLite variant above runs the same check")
@pytest.mark.django_db
def test_names_become_references_and_come_back_on_rollback_postgresql() -> None:
    with connection.cursor() as cursor:  # deferred FK checks would leave "pending trigger events" before each ALTER
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    check_names_become_references_and_come_back()


def check_names_become_references_and_come_back() -> None:
    try:
        old = migrate(before())
        User, Incident = old.get_model("accounts", "User"), old.get_model("incidents", "Incident")
        CI, Alias = old.get_model("cmdb", "ConfigurationItem"), old.get_model("cmdb", "CIAlias")
        CIClass = old.get_model("cmdb", "CIClass")
        now = "2026-11-25T10:00:00+00:00"
        user = User.objects.create(username="mig", role="agent")
        historian = CI.objects.create(name="BER-HIST01", ci_class=CIClass.objects.get(name="historian"),
                                      created_at=now, updated_at=now)  # fmt: skip
        Alias.objects.create(ci=historian, value="berhist01.plant.local")
        common = {"short_description": "x", "description": "Found by the shift.", "state": "new", "priority": 3,
                  "caller": user, "opened_by": user, "opened_at": now, "updated_at": now}  # fmt: skip
        for number, name in (("INC0000001", "BER-HIST01"), ("INC0000002", "berhist01.plant.local"),
                             ("INC0000003", "GONE-01"), ("INC0000004", "")):  # fmt: skip
            Incident.objects.create(number=number, ci=name, **common)

        new = migrate(latest())
        rows = {i.number: i for i in new.get_model("incidents", "Incident").objects.all()}
        assert rows["INC0000001"].ci_id == historian.pk and rows["INC0000002"].ci_id == historian.pk
        assert rows["INC0000003"].ci_id is None
        assert rows["INC0000003"].description.endswith(
            "Configuration item (not in the CMDB when it was linked): GONE-01"
        )
        assert rows["INC0000004"].ci_id is None and rows["INC0000004"].description == "Found by the shift."

        back = migrate(before())
        names = dict(back.get_model("incidents", "Incident").objects.values_list("number", "ci"))
        assert names["INC0000001"] == "BER-HIST01" and names["INC0000002"] == "BER-HIST01"
    finally:
        migrate(latest())
