"""Migration events 0006 merges the events app's maintenance windows into change enablement's windows: every
row becomes a one-off maintenance window on its CI with its times, reason and creator; a rollback brings them
back. On both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from plantdesk.incidents.tests.test_migration_ci_reference import SQLITE, latest, migrate

BEFORE = ("events", "0005_silence_site")


def before() -> list[tuple[str, str | None]]:
    return [n for n in latest() if n[0] not in ("events", "sparkplug")] + [BEFORE, ("sparkplug", None)]


@pytest.mark.skipif(not SQLITE, reason="the PostgreSQL variant below runs the same check")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the next tests find the seeded classes again
def test_maintenance_windows_become_windows_and_come_back_on_rollback_sqlite() -> None:
    check_windows_are_merged()


@pytest.mark.skipif(SQLITE, reason="the SQLite variant above runs the same check")
@pytest.mark.django_db
def test_maintenance_windows_become_windows_and_come_back_on_rollback_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    check_windows_are_merged()


def check_windows_are_merged() -> None:
    try:
        old = migrate(before())
        User, Site = old.get_model("accounts", "User"), old.get_model("accounts", "Site")
        CI, CIClass = old.get_model("cmdb", "ConfigurationItem"), old.get_model("cmdb", "CIClass")
        Old = old.get_model("events", "MaintenanceWindow")
        now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
        user = User.objects.create(username="otto-mig", role="agent")
        ber = Site.objects.create(code="ber-mig", name="Berlin", time_zone="Europe/Berlin")
        line = CI.objects.create(name="MIG-L3", ci_class=CIClass.objects.get(name="line"), site=ber,
                                 created_at=now, updated_at=now)  # fmt: skip
        plc = CI.objects.create(name="MIG-PLC01", ci_class=CIClass.objects.get(name="plc"), created_at=now,
                                updated_at=now)  # fmt: skip
        rows = [
            (line, datetime(2026, 11, 28, 21, 0, tzinfo=UTC), datetime(2026, 11, 29, 5, 0, tzinfo=UTC), "CIP night"),
            (plc, datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "Firmware"),
            (line, datetime(2026, 12, 5, 21, 0, tzinfo=UTC), datetime(2026, 12, 6, 5, 0, tzinfo=UTC), "CIP night"),
        ]
        for ci, start, end, reason in rows:
            Old.objects.create(ci=ci, starts_at=start, ends_at=end, reason=reason, created_by=user, created_at=now)

        new = migrate(latest())
        Window = new.get_model("changes", "Window")
        merged = list(Window.objects.filter(created_by__username="otto-mig").order_by("start"))
        assert len(merged) == len(rows)  # none lost
        for window, (ci, start, end, reason) in zip(merged, rows, strict=True):
            assert (window.kind, window.start, window.end, window.last_end) == ("maintenance", start, end, end)
            assert (window.rrule, window.description, window.active) == ("", reason, True)
            assert [link.ci_id for link in window.ci_links.all()] == [ci.pk]
            assert window.created_at == now
        assert merged[0].time_zone == "Europe/Berlin" and merged[1].time_zone == "UTC"  # the CI's site, else UTC

        back = migrate(before())
        restored = back.get_model("events", "MaintenanceWindow").objects.filter(created_by__username="otto-mig")
        assert sorted((w.ci_id, w.starts_at, w.ends_at, w.reason) for w in restored) == sorted(
            (ci.pk, start, end, reason) for ci, start, end, reason in rows
        )
    finally:
        migrate(latest())
