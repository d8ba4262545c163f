"""The incident page as people read it: people's notes first, system notes behind a filter, one time zone
(the incident's site's, named), and a history of labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from plantdesk.incidents.actions import do_add_comment, do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.slas.actions import do_create_definition, do_create_schedule
from plantdesk.slas.jobs import fire_due_events
from plantdesk.testing.fixtures import ApiClient, Plant, client_for, make_incident, text

pytestmark = pytest.mark.django_db

OPENED = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # a Tuesday: 09:00 in Berlin, 16:00 in Singapore
ALWAYS = {"name": "24x7", "time_zone": "UTC", "hours": [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]}


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def kinds(html: str) -> list[str]:
    """The kinds of the entries the activity stream shows, in order."""
    timeline = html.split('aria-label="Journal"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'data-kind="(\w+)"', timeline)


@pytest.fixture
def busy_incident(plant: Plant) -> Incident:
    """A P1 with three SLA warnings written by PlantDesk between a caller's comment and an agent's work note."""
    with time_machine.travel(OPENED, tick=False):
        do_create_schedule(ALWAYS, actor=plant.admin)
        do_create_definition(
            {"name": "P1 resolution", "target": "resolution", "duration": "PT4H", "schedule": "24x7",
             "conditions": {"priority": [1]}, "warnings": [50, 75, 90]},
            actor=plant.admin,
        )  # fmt: skip
        incident = make_incident(plant.agent, impact=1, urgency=1, caller="rita", site="ber")
        do_add_comment(incident, "The line is running in manual mode for now.", "public", actor=plant.requester)
    for minutes in (121, 181, 217):  # 50, 75 and 90 % of four hours
        with time_machine.travel(OPENED + timedelta(minutes=minutes), tick=False):
            fire_due_events(now=OPENED + timedelta(minutes=minutes))
    with time_machine.travel(OPENED + timedelta(hours=3, minutes=40), tick=False):
        do_add_comment(incident, "Vendor ticket opened, reference VND-1028.", "internal", actor=plant.agent)
    return Incident.objects.get(pk=incident.pk)


def test_the_default_view_shows_people_and_says_how_many_system_notes_it_leaves_out(
    plant: Plant, busy_incident: Incident
) -> None:
    page = text(client_for(plant.agent).get(f"/incidents/{busy_incident.number}/"))
    assert kinds(page) == ["comment", "work_note"]
    assert "3 system notes (SLA warnings, automatic actions) not shown" in visible(page)
    assert "People 2" in visible(page) and "System 3" in visible(page) and "All 5" in visible(page)


def test_each_filter_shows_its_own_entries_and_system_notes_read_one_line_in_the_page_zone(
    plant: Plant, busy_incident: Incident
) -> None:
    agent = client_for(plant.agent)
    url = f"/incidents/{busy_incident.number}/"
    assert kinds(text(agent.get(url, {"activity": "all"}))) == ["comment", "system", "system", "system", "work_note"]
    assert kinds(text(agent.get(url, {"activity": "comments"}))) == ["comment"]
    assert kinds(text(agent.get(url, {"activity": "work_notes"}))) == ["work_note"]
    system = text(agent.get(url, {"activity": "system"}))
    assert kinds(system) == ["system", "system", "system"]
    # "due 2026-11-24T12:00:00+00:00" as the Berlin plant reads it, never as stored
    assert "SLA warning: P1 resolution (resolution) at 75 %, due 2026-11-24 13:00 CET." in visible(system)
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", visible(system))


def test_the_caller_sees_no_filter_and_no_system_notes(plant: Plant, busy_incident: Incident) -> None:
    page = text(client_for(plant.requester).get(f"/portal/{busy_incident.number}/"))
    assert kinds(page) == ["comment"]
    assert 'data-testid="activity-filter"' not in page and "system note" not in page


def test_a_record_page_shows_every_time_in_its_site_zone_and_names_it(plant: Plant) -> None:
    with time_machine.travel(OPENED, tick=False):
        incident = make_incident(plant.agent_sin, site="sin", caller="sam")
        incident = do_transition_incident(
            incident, "resolved", actor=plant.agent_sin, resolution_code="solved_fix", resolution_notes="Replaced."
        )
    admin = client_for(plant.admin)  # the administrator's own zone is Berlin's
    page = visible(text(admin.get(f"/incidents/{incident.number}/", {"tab": "history"})))
    assert "Times in Asia/Singapore" in page
    assert "2026-11-24 16:00 Asia/Singapore" in page and "CET" not in page and "UTC" not in page
    # the history says what the codes mean
    assert "Resolution code Solved (permanent fix)" in page and "Site Singapore plant (sin)" in page
    assert "solved_fix" not in page
    queue = visible(text(admin.get("/incidents/")))
    assert "Times in Europe/Berlin" in queue and "Asia/Singapore" not in queue


def test_the_api_names_system_notes_as_such_and_the_caller_never_gets_them(
    plant: Plant, busy_incident: Incident
) -> None:
    agent = ApiClient(plant.agent).get(f"/incidents/{busy_incident.number}/comments")
    assert agent.status_code == 200
    assert [c["kind"] for c in agent.json()["items"]] == ["note", "system", "system", "system", "note"]
    caller = ApiClient(plant.requester).get(f"/incidents/{busy_incident.number}/comments")
    assert [c["kind"] for c in caller.json()["items"]] == ["note"]
