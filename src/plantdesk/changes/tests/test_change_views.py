"""The change pages through Django's test client: forms, refusals shown, agenda contents."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.changes.forms import ChangeEditForm, initial_for
from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant, later
from plantdesk.changes.tests.helpers import create, move, qa_sign, to_scheduled
from plantdesk.core.models import Signature
from plantdesk.testing.fixtures import client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db


def _form_post(change: ChangeRequest, user: User, **changes: Any) -> dict[str, Any]:
    """What the browser posts: every field of the edit form as rendered in the user's zone, some changed."""
    with timezone.override(zoneinfo.ZoneInfo(user.display_time_zone)):
        return _rendered(change, **changes)


def _rendered(change: ChangeRequest, **changes: Any) -> dict[str, Any]:
    form = ChangeEditForm(initial=initial_for(change))
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if isinstance(value, datetime):  # as the date input shows it, in the reader's date style
            value = field.widget.format_value(value)
        data[name] = value if value is not None else ""
    data.update(changes)
    return data


def test_requesters_are_told_changes_are_agent_pages(cp: ChangePlant) -> None:
    assert refused_as_agents_only(client_for(cp.plant.requester).get("/changes/"))


def test_the_new_change_form_puts_the_actions_errors_next_to_the_fields(cp: ChangePlant) -> None:
    agent = client_for(cp.plant.agent)
    bad = {"type": "normal", "short_description": "Patch", "cis": "BER-FILE01, NOPE",
           "planned_start": "2030-01-02T10:00", "planned_end": "2030-01-02T09:00"}  # fmt: skip
    response = agent.post("/changes/new/", bad)
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_cis_error"' in page and "NOPE" in page
    assert 'id="id_planned_end_error"' in page
    assert not ChangeRequest.objects.exists()
    created = agent.post("/changes/new/", {"type": "normal", "short_description": "Patch the file server",
                                           "cis": "BER-FILE01", "planned_start": "2030-01-02T10:00",
                                           "planned_end": "2030-01-02T12:00"})  # fmt: skip
    assert created.status_code == 303
    change = ChangeRequest.objects.get()
    assert created["Location"] == f"/changes/{change.number}/"
    assert "Patch the file server" in text(agent.get(created["Location"]))


def test_saving_the_edit_form_voids_no_signature_unless_a_signed_field_changed(cp: ChangePlant) -> None:
    number = to_scheduled(cp)
    qa_sign(cp, number, "qa_pre_implement")
    agent = client_for(cp.plant.agent)
    change = ChangeRequest.objects.get(number=number)
    untouched = agent.post(
        f"/changes/{number}/edit/", _form_post(change, cp.plant.agent, assignment_group="Service Desk")
    )
    assert untouched.status_code == 303
    assert Signature.objects.filter(valid=True, purpose="qa_pre_implement").count() == 1
    assert ChangeRequest.objects.get(number=number).state == "scheduled"
    change = ChangeRequest.objects.get(number=number)
    replanned = agent.post(
        f"/changes/{number}/edit/", _form_post(change, cp.plant.agent, backout_plan="Restore the VM.")
    )
    assert replanned.status_code == 303
    assert not Signature.objects.filter(valid=True, purpose="qa_pre_implement").exists()
    assert ChangeRequest.objects.get(number=number).state == "assess"


def test_a_refused_move_shows_every_reason(cp: ChangePlant) -> None:
    number = create(cp, implementation_plan="", cis=[])
    agent = client_for(cp.plant.agent)
    page = text(agent.post(f"/changes/{number}/transition/", {"to": "assess"}, follow=True))
    assert "implementation_plan: Required" in page and "cis: Name at least one" in page


@pytest.fixture
def monday_noon() -> Iterator[None]:
    """Monday 2026-12-07 12:00 UTC: `later(5)` is on the same date in UTC and in the users' zones (near
    midnight UTC it is not: the agenda's range is of days in the user's zone)."""
    with time_machine.travel(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), tick=True):
        yield


def test_the_cab_agenda_lists_what_awaits_authorisation_in_the_range(monday_noon: None, cp: ChangePlant) -> None:
    waiting = create(cp)
    move(cp, waiting, "assess")
    move(cp, waiting, "authorize")
    other = create(cp, cis=["BER-FILE01"], assignee="")
    day = later(5).date()
    page = text(client_for(cp.carl).get(f"/changes/cab/?from={day}&to={day}"))
    assert waiting in page and other not in page
    assert "Sign decision" in page  # carl is a CAB member with a requested approval
    assert waiting not in text(client_for(cp.carl).get(f"/changes/cab/?from={later(20).date()}"))
