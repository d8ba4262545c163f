"""Dates typed into the change pages in the reader's style: German "24.12.2026 06:00", English
"2026-12-24 06:00"; a wall-clock time in the page's (or the window's) zone; an error names the field and
the format it wants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from plantdesk.accounts.models import User
from plantdesk.accounts.preference_actions import do_update_preferences
from plantdesk.changes.models import ChangeRequest, Window
from plantdesk.changes.tests.schedule_helpers import berlin_lines, change_manager
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.testing.fixtures import Plant, client_for, text

pytestmark = pytest.mark.django_db

WINDOW = {"kind": "maintenance", "name": "Christmas shutdown", "time_zone": "Europe/Berlin", "rrule": "",
          "cis": "BER-L3", "ci_classes": "", "run_state": "", "external_id": "", "description": ""}  # fmt: skip


@pytest.fixture(autouse=True)
def _december() -> Any:
    with time_machine.travel(datetime(2026, 12, 3, 9, 0, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def carl(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> User:
    berlin_lines(plant, plant_cis)
    return change_manager(plant)


def _speaks(user: User, language: str) -> User:
    do_update_preferences(user, actor=user, language=language, date_format="")
    return user


@pytest.mark.parametrize(
    ("language", "start", "end", "shown"),
    [
        ("de", "24.12.2026 06:00", "24.12.2026 18:00", "24.12.2026 06:00 CET"),
        ("en", "2026-12-24 06:00", "2026-12-24 18:00", "2026-12-24 06:00 CET"),
    ],
)
def test_a_window_is_planned_in_the_readers_date_style_on_the_berlin_clock(
    carl: User, language: str, start: str, end: str, shown: str
) -> None:
    manager = client_for(_speaks(carl, language))
    form = text(manager.get("/changes/windows/new/"))
    assert 'type="datetime-local"' not in form and "date-input" in form
    response = manager.post("/changes/windows/new/", {**WINDOW, "start": start, "end": end, "sites": ["ber"]})
    assert response.status_code == 303
    window = Window.objects.get()
    assert window.start == datetime(2026, 12, 24, 5, 0, tzinfo=UTC)  # 06:00 CET
    assert shown in text(manager.get("/changes/windows/"))


def test_a_date_in_the_wrong_style_is_refused_naming_the_field_and_the_format(carl: User) -> None:
    manager = client_for(_speaks(carl, "de"))
    response = manager.post(
        "/changes/windows/new/", {**WINDOW, "start": "12/24/2026 6:00 AM", "end": "24.12.2026 18:00"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Beginn (erstes Vorkommen): bitte als TT.MM.JJJJ hh:mm eingeben, z. B. 24.12.2026 06:00." in page
    assert 'value="12/24/2026 6:00 AM"' in page  # what was typed stays in the box
    assert not Window.objects.exists()


def test_a_change_planned_in_german_keeps_its_berlin_wall_clock(plant: Plant, carl: User) -> None:
    alice = client_for(_speaks(plant.agent, "de"))
    body = {"type": "normal", "short_description": "Patch the line 3 PLC", "cis": "BER-L3-PLC01",
            "planned_start": "24.12.2026 06:00", "planned_end": "24.12.2026 08:00"}  # fmt: skip
    response = alice.post("/changes/new/", body)
    assert response.status_code == 303, text(response)
    change = ChangeRequest.objects.get()
    assert change.planned_start == datetime(2026, 12, 24, 5, 0, tzinfo=UTC)
    page = text(alice.get(f"/changes/{change.number}/"))
    assert 'value="24.12.2026 06:00"' in page  # the edit form shows it as it was typed
