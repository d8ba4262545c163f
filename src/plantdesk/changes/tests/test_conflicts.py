"""Conflict detection as a change manager sees it: what is reported for a planned change, and what is not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.changes.choices import ConflictKind, WindowKind
from plantdesk.changes.conflicts import Found, conflicts_of, find_conflicts
from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conflict_data import at, make_change, make_ci, make_window, relate
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import Plant

pytestmark = pytest.mark.django_db


@dataclass
class Cmdb:
    """BER-AREA contains BER-L3 contains BER-L3-C1 contains two PLCs; another line; an application per site."""

    area: ConfigurationItem
    line: ConfigurationItem
    cell: ConfigurationItem
    plc1: ConfigurationItem
    plc2: ConfigurationItem
    line4: ConfigurationItem
    plc4: ConfigurationItem
    app: ConfigurationItem
    app_sin: ConfigurationItem


@pytest.fixture
def cmdb(plant: Plant) -> Cmdb:
    a = plant.admin
    c = Cmdb(
        area=make_ci(a, "BER-AREA-PROD", "area"),
        line=make_ci(a, "BER-L3", "line"),
        cell=make_ci(a, "BER-L3-C1", "cell"),
        plc1=make_ci(a, "BER-L3-PLC01", "plc"),
        plc2=make_ci(a, "BER-L3-PLC02", "plc"),
        line4=make_ci(a, "BER-L4", "line"),
        plc4=make_ci(a, "BER-L4-PLC01", "plc"),
        app=make_ci(a, "BER-MES-APP01", "application"),
        app_sin=make_ci(a, "SIN-MES-APP01", "application", site="sin"),
    )
    relate(a, c.area, "contains", c.line)
    relate(a, c.line, "contains", c.cell)
    relate(a, c.cell, "contains", c.plc1)
    relate(a, c.cell, "contains", c.plc2)
    relate(a, c.area, "contains", c.line4)
    relate(a, c.line4, "contains", c.plc4)
    return c


def check(cis: list[ConfigurationItem], start: str, end: str, **kwargs: Any) -> list[Found]:
    return find_conflicts(ci_ids=[ci.pk for ci in cis], start=at(start), end=at(end), **kwargs)


def kinds(found: list[Found]) -> list[str]:
    return [f.kind for f in found]


# ---------------------------------------------------------------------------------------- blackouts


def test_blackout_on_the_ci_conflicts_only_while_it_lasts(plant: Plant, cmdb: Cmdb) -> None:
    blackout = make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"),
                           cis=[cmdb.app], name="Validation run MES 11.3")  # fmt: skip

    found = check([cmdb.app], "2026-06-07 22:00", "2026-06-08 02:00")

    assert kinds(found) == [ConflictKind.BLACKOUT]
    assert found[0].window_id == blackout.pk
    assert found[0].ci_id == cmdb.app.pk
    assert "Validation run MES 11.3" in found[0].detail
    assert "BER-MES-APP01" in found[0].detail
    assert check([cmdb.app], "2026-06-08 00:00", "2026-06-08 04:00") == []  # starts as the blackout ends
    assert check([cmdb.app], "2026-05-31 20:00", "2026-06-01 00:00") == []  # ends as it starts
    assert check([cmdb.app_sin], "2026-06-03 10:00", "2026-06-03 12:00") == []  # another CI


def test_recurring_blackout_conflicts_only_in_its_occurrences(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2025-12-20 23:00"), at("2026-01-04 23:00"),
                cis=[cmdb.app], rrule="FREQ=YEARLY", time_zone="Europe/Berlin", name="Year-end freeze")  # fmt: skip

    assert check([cmdb.app], "2026-07-01 08:00", "2026-07-01 10:00") == []
    found = check([cmdb.app], "2026-12-28 08:00", "2026-12-28 10:00")
    assert kinds(found) == [ConflictKind.BLACKOUT]
    assert "2026-12-20T23:00+00:00" in found[0].detail  # the occurrence met, not the first one


def test_inactive_window_is_ignored(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), cis=[cmdb.app],
                active=False)  # fmt: skip
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-06-01 00:00"), at("2026-06-01 04:00"), cis=[cmdb.app],
                active=False)  # fmt: skip

    assert check([cmdb.app], "2026-06-03 10:00", "2026-06-03 12:00") == []


# ---------------------------------------------------------------------------------- production runs


@pytest.mark.parametrize(
    ("run_state", "blocks"),
    [("planned", True), ("running", True), ("held", True), ("completed", False), ("canceled", False)],
)
def test_production_run_blocks_unless_completed_or_canceled(
    plant: Plant, cmdb: Cmdb, run_state: str, blocks: bool
) -> None:
    run = make_window(plant.admin, WindowKind.PRODUCTION_RUN, at("2026-06-01 06:00"), at("2026-06-03 18:00"),
                      cis=[cmdb.line], run_state=run_state, name="Job order 4711")  # fmt: skip

    found = check([cmdb.plc1], "2026-06-02 10:00", "2026-06-02 11:00")

    if blocks:
        assert kinds(found) == [ConflictKind.PRODUCTION_RUN]
        assert found[0].window_id == run.pk
        assert f"Job order 4711' ({run_state})" in found[0].detail
    else:
        assert found == []
    assert check([cmdb.plc1], "2026-06-03 18:00", "2026-06-03 19:00") == []  # after the run


# ---------------------------------------------------------------------------------- maintenance windows


def test_change_must_fit_in_the_maintenance_windows_of_its_ci(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-06-06 20:00"), at("2026-06-07 00:00"), cis=[cmdb.app])
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-06-07 00:00"), at("2026-06-07 04:00"), cis=[cmdb.app])

    assert check([cmdb.app], "2026-06-06 21:00", "2026-06-06 23:00") == []
    assert check([cmdb.app], "2026-06-06 22:00", "2026-06-07 03:00") == []  # across two back-to-back windows
    found = check([cmdb.app], "2026-06-07 03:00", "2026-06-07 05:00")  # runs past the end
    assert kinds(found) == [ConflictKind.OUTSIDE_MAINTENANCE_WINDOW]
    assert found[0].ci_id == cmdb.app.pk
    assert "BER-MES-APP01 has maintenance windows" in found[0].detail
    # Once its maintenance windows have all ended, the CI imposes nothing any more.
    assert check([cmdb.app], "2026-06-10 10:00", "2026-06-10 11:00") == []
    # A CI without maintenance windows may be changed at any time.
    assert check([cmdb.app_sin], "2026-06-10 10:00", "2026-06-10 11:00") == []


def test_only_the_cis_under_a_maintenance_regime_are_named(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-06-06 20:00"), at("2026-06-07 04:00"), cis=[cmdb.plc1],
                rrule="FREQ=WEEKLY;BYDAY=SA")  # fmt: skip

    found = check([cmdb.plc1, cmdb.plc2, cmdb.app], "2026-06-10 10:00", "2026-06-10 11:00")

    assert [(f.kind, f.ci_id) for f in found] == [(ConflictKind.OUTSIDE_MAINTENANCE_WINDOW, cmdb.plc1.pk)]


@pytest.mark.parametrize(
    ("start", "end", "inside"),
    [
        # Spring: 2026-03-29 02:00 CET becomes 03:00 CEST. The window is Saturday 22:00 - Sunday 06:00 in Berlin.
        ("2026-03-28 21:00", "2026-03-29 04:00", True),  # 22:00 CET - 06:00 CEST: the whole 7-hour night
        ("2026-03-29 04:00", "2026-03-29 04:30", False),  # 06:00-06:30 CEST: after it (UTC arithmetic: inside)
        ("2026-04-04 20:15", "2026-04-04 20:45", True),  # 22:15 CEST (UTC arithmetic: before it)
        ("2026-04-05 04:15", "2026-04-05 04:45", False),  # 06:15 CEST
        ("2026-04-04 19:45", "2026-04-04 20:30", False),  # starts 21:45 CEST, before the window
        # Autumn: 2026-10-25 03:00 CEST becomes 02:00 CET; that night lasts 9 hours.
        ("2026-10-24 20:00", "2026-10-25 05:00", True),  # 22:00 CEST - 06:00 CET
        ("2026-10-31 21:00", "2026-11-01 05:00", True),  # the next Saturday, 22:00-06:00 CET
        ("2026-10-31 20:30", "2026-10-31 21:30", False),  # 21:30 CET: before it (UTC arithmetic: inside)
    ],
)
def test_recurring_maintenance_window_keeps_berlin_wall_clock_across_dst(
    plant: Plant, cmdb: Cmdb, start: str, end: str, inside: bool
) -> None:
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-03-21 21:00"), at("2026-03-22 05:00"), cis=[cmdb.line],
                rrule="FREQ=WEEKLY;BYDAY=SA", time_zone="Europe/Berlin", name="L3 weekend")  # fmt: skip

    found = check([cmdb.plc1], start, end)

    assert kinds(found) == ([] if inside else [ConflictKind.OUTSIDE_MAINTENANCE_WINDOW])


# ---------------------------------------------------------------------------------------- scoping


def test_window_on_a_line_covers_the_plcs_of_its_cells(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), cis=[cmdb.line])

    found = check([cmdb.plc1, cmdb.plc2], "2026-06-03 10:00", "2026-06-03 12:00")

    assert kinds(found) == [ConflictKind.BLACKOUT]
    assert "BER-L3-PLC01, BER-L3-PLC02" in found[0].detail
    assert check([cmdb.plc4], "2026-06-03 10:00", "2026-06-03 12:00") == []  # a PLC of another line
    assert check([cmdb.app], "2026-06-03 10:00", "2026-06-03 12:00") == []


def test_window_on_an_area_covers_a_line_and_a_plc_of_it_changed_together(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), cis=[cmdb.area])

    found = check([cmdb.line, cmdb.plc1], "2026-06-03 10:00", "2026-06-03 12:00")

    assert kinds(found) == [ConflictKind.BLACKOUT]
    assert "BER-L3, BER-L3-PLC01" in found[0].detail


def test_window_scoped_to_a_ci_class(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), classes=["plc"],
                name="PLC firmware freeze")  # fmt: skip

    found = check([cmdb.plc4, cmdb.app], "2026-06-03 10:00", "2026-06-03 12:00")

    assert [(f.kind, f.ci_id) for f in found] == [(ConflictKind.BLACKOUT, cmdb.plc4.pk)]
    assert check([cmdb.app, cmdb.line], "2026-06-03 10:00", "2026-06-03 12:00") == []


def test_window_scoped_to_a_site(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), sites=["sin"],
                name="SIN audit")  # fmt: skip

    found = check([cmdb.app_sin, cmdb.app], "2026-06-03 10:00", "2026-06-03 12:00")

    assert [(f.kind, f.ci_id) for f in found] == [(ConflictKind.BLACKOUT, cmdb.app_sin.pk)]
    assert "SIN audit" in found[0].detail
    assert check([cmdb.app, cmdb.plc1], "2026-06-03 10:00", "2026-06-03 12:00") == []


def test_maintenance_window_scoped_to_a_site_puts_its_cis_under_a_regime(plant: Plant, cmdb: Cmdb) -> None:
    make_window(plant.admin, WindowKind.MAINTENANCE, at("2026-06-06 20:00"), at("2026-06-07 04:00"), sites=["ber"],
                rrule="FREQ=WEEKLY", time_zone="Europe/Berlin")  # fmt: skip

    assert check([cmdb.app], "2026-06-13 21:00", "2026-06-13 23:00") == []
    found = check([cmdb.app, cmdb.app_sin], "2026-06-10 10:00", "2026-06-10 11:00")
    assert [(f.kind, f.ci_id) for f in found] == [(ConflictKind.OUTSIDE_MAINTENANCE_WINDOW, cmdb.app.pk)]


# ---------------------------------------------------------------------------------- other changes


def test_other_change_on_the_same_ci_conflicts(plant: Plant, cmdb: Cmdb) -> None:
    other = make_change(plant.admin, [cmdb.app, cmdb.plc1], at("2026-06-03 10:00"), at("2026-06-03 14:00"))

    found = check([cmdb.app], "2026-06-03 13:00", "2026-06-03 15:00")

    assert kinds(found) == [ConflictKind.CI_OVERLAP]
    assert (found[0].other_change_id, found[0].other_number, found[0].ci_id) == (other.pk, other.number, cmdb.app.pk)
    assert found[0].detail == f"{other.number} also changes BER-MES-APP01 in an overlapping window."
    assert check([cmdb.app], "2026-06-03 14:00", "2026-06-03 15:00") == []  # back to back is no overlap
    assert check([cmdb.app_sin], "2026-06-03 13:00", "2026-06-03 15:00") == []


def test_other_change_on_a_related_ci_conflicts_within_the_depth(plant: Plant, cmdb: Cmdb) -> None:
    on_cell = make_change(plant.admin, [cmdb.cell], at("2026-06-03 10:00"), at("2026-06-03 14:00"))  # 1 hop
    on_line = make_change(plant.admin, [cmdb.line], at("2026-06-03 10:00"), at("2026-06-03 14:00"))  # 2 hops

    depth1 = check([cmdb.plc1], "2026-06-03 11:00", "2026-06-03 12:00", depth=1)
    depth2 = check([cmdb.plc1], "2026-06-03 11:00", "2026-06-03 12:00", depth=2)

    assert kinds(depth1) == [ConflictKind.CI_OVERLAP]
    assert [(f.other_change_id, f.ci_id) for f in depth1] == [(on_cell.pk, cmdb.cell.pk)]
    assert "BER-L3-C1, related to this change's CIs" in depth1[0].detail
    assert {f.other_change_id for f in depth2} == {on_cell.pk, on_line.pk}
    assert check([cmdb.plc1], "2026-06-03 11:00", "2026-06-03 12:00", depth=0) == []


def test_a_change_on_the_same_and_a_related_ci_is_named_by_the_same_one(plant: Plant, cmdb: Cmdb) -> None:
    other = make_change(plant.admin, [cmdb.cell, cmdb.plc2], at("2026-06-03 10:00"), at("2026-06-03 14:00"))

    found = check([cmdb.plc2], "2026-06-03 11:00", "2026-06-03 12:00", depth=1)

    assert [(f.other_change_id, f.ci_id) for f in found] == [(other.pk, cmdb.plc2.pk)]  # one conflict per change
    assert "also changes BER-L3-PLC02" in found[0].detail


def test_assignee_double_booked(plant: Plant, cmdb: Cmdb) -> None:
    other = make_change(plant.admin, [cmdb.app_sin], at("2026-06-03 10:00"), at("2026-06-03 14:00"),
                        assignee=plant.ot_agent)  # fmt: skip
    make_change(plant.admin, [cmdb.app_sin], at("2026-06-04 10:00"), at("2026-06-04 14:00"), assignee=plant.ot_agent)

    found = check([cmdb.plc1], "2026-06-03 12:00", "2026-06-03 16:00", assignee_id=plant.ot_agent.pk)

    assert kinds(found) == [ConflictKind.ASSIGNEE_OVERLAP]
    assert found[0].other_change_id == other.pk
    assert found[0].detail == f"otto is also assigned {other.number} in an overlapping window."
    assert check([cmdb.plc1], "2026-06-03 12:00", "2026-06-03 16:00", assignee_id=plant.agent.pk) == []
    assert check([cmdb.plc1], "2026-06-03 14:00", "2026-06-03 16:00", assignee_id=plant.ot_agent.pk) == []


def test_a_change_does_not_conflict_with_itself(plant: Plant, cmdb: Cmdb) -> None:
    change = make_change(plant.admin, [cmdb.app, cmdb.plc1], at("2026-06-03 10:00"), at("2026-06-03 14:00"),
                         assignee=plant.ot_agent)  # fmt: skip
    other = make_change(plant.admin, [cmdb.plc1], at("2026-06-03 13:00"), at("2026-06-03 15:00"))

    found = conflicts_of(ChangeRequest.objects.get(pk=change.pk))

    assert [(f.kind, f.other_change_id) for f in found] == [(ConflictKind.CI_OVERLAP, other.pk)]


@pytest.mark.parametrize("state", ["closed", "canceled"])
def test_closed_and_canceled_changes_hold_no_slot(plant: Plant, cmdb: Cmdb, state: str) -> None:
    make_change(plant.admin, [cmdb.app], at("2026-06-03 10:00"), at("2026-06-03 14:00"), state=state,
                assignee=plant.ot_agent)  # fmt: skip

    assert check([cmdb.app], "2026-06-03 11:00", "2026-06-03 12:00", assignee_id=plant.ot_agent.pk) == []


def test_every_kind_together_with_distinct_keys(plant: Plant, cmdb: Cmdb) -> None:
    admin = plant.admin
    make_window(admin, WindowKind.BLACKOUT, at("2026-06-01 00:00"), at("2026-06-08 00:00"), cis=[cmdb.line])
    make_window(admin, WindowKind.PRODUCTION_RUN, at("2026-06-01 00:00"), at("2026-06-08 00:00"), cis=[cmdb.cell],
                run_state="running")  # fmt: skip
    make_window(admin, WindowKind.MAINTENANCE, at("2026-05-30 20:00"), at("2026-05-31 04:00"), cis=[cmdb.plc1],
                rrule="FREQ=WEEKLY;BYDAY=SA")  # fmt: skip
    make_change(admin, [cmdb.plc1], at("2026-06-03 10:00"), at("2026-06-03 14:00"))
    make_change(admin, [cmdb.app_sin], at("2026-06-03 10:00"), at("2026-06-03 14:00"), assignee=plant.agent)

    found = check([cmdb.plc1], "2026-06-03 11:00", "2026-06-03 12:00", assignee_id=plant.agent.pk)

    assert sorted(kinds(found)) == sorted(ConflictKind.values)
    assert len({f.key for f in found}) == len(found)


# ---------------------------------------------------------------------------------------- cost


def _populate(plant: Plant, cmdb: Cmdb, n: int) -> None:
    """n windows of each kind and scope, and n changes on the same and related CIs, all overlapping."""
    for i in range(n):
        start, end = at("2026-06-01 00:00"), at(f"2026-06-{8 + i % 10:02d} 00:00")
        for kind, run_state in ((WindowKind.BLACKOUT, ""), (WindowKind.PRODUCTION_RUN, "running"),
                                (WindowKind.MAINTENANCE, "")):  # fmt: skip
            make_window(plant.admin, kind, start, end, cis=[cmdb.line, cmdb.plc1], run_state=run_state)
            make_window(plant.admin, kind, start, end, classes=["plc"], sites=["ber"], run_state=run_state,
                        rrule="FREQ=DAILY;COUNT=30", time_zone="Europe/Berlin")  # fmt: skip
        make_change(plant.admin, [cmdb.plc1, cmdb.cell], at("2026-06-03 10:00"), at("2026-06-03 14:00"),
                    assignee=plant.ot_agent)  # fmt: skip


def test_query_count_does_not_grow_with_windows_or_changes(
    plant: Plant, cmdb: Cmdb, django_assert_max_num_queries: Any
) -> None:
    change = make_change(plant.admin, [cmdb.plc1, cmdb.app], at("2026-06-03 11:00"), at("2026-06-03 12:00"),
                         assignee=plant.ot_agent)  # fmt: skip
    _populate(plant, cmdb, 1)
    with CaptureQueriesContext(connection) as few:
        found_few = conflicts_of(ChangeRequest.objects.get(pk=change.pk))
    _populate(plant, cmdb, 15)

    with django_assert_max_num_queries(len(few)):
        found_many = conflicts_of(ChangeRequest.objects.get(pk=change.pk))

    # The change, its links, its CIs, 4 containment levels (PLC, cell, line, area), 1 related level, the
    # overlapping changes, windows by CI, class and site, the assignee.
    assert len(few) <= 14
    assert len(found_many) > len(found_few) >= 5
