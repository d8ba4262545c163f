"""The incident page's problem panel through Django's test client: link with the picker, unlink, create a
problem from the incident, the known error's workaround, and what requesters and other sites never see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from plantdesk.accounts.models import User
from plantdesk.composition.demo import load_demo
from plantdesk.core.models import JournalEntry
from plantdesk.incidents.models import Incident
from plantdesk.problems.actions import do_create_problem, do_link_incidents, do_transition_problem
from plantdesk.problems.demo import PROBLEM_TEXT
from plantdesk.problems.known_errors import do_set_known_error
from plantdesk.problems.models import KnownError, Problem, ProblemIncident, WorkaroundPosting
from plantdesk.problems.queries import problem_candidates
from plantdesk.testing.fixtures import Plant, client_for, make_incident, suggestions, text

pytestmark = pytest.mark.django_db

WORKAROUND = "Power-cycle the printer, then re-send the open labels from the MES label queue"


@pytest.fixture
def printer_incident(plant: Plant, cis: Any) -> Incident:
    return make_incident(plant.agent, short_description="Label printer on line 3 offline", ci="BER-L3-PRN01",
                         description="No labels since 06:00.", category="hardware")  # fmt: skip


def problem(plant: Plant, short: str = "BER-L3 label printer offline", **fields: Any) -> Problem:
    return do_create_problem({"short_description": short, "ci": "BER-L3-PRN01", **fields}, actor=plant.agent)


def page(plant: Plant, incident: Incident) -> str:
    response = client_for(plant.agent).get(f"/incidents/{incident.number}/")
    assert response.status_code == 200
    return text(response)


def test_unlinked_incident_offers_the_picker_create_and_known_errors_on_its_ci(
    plant: Plant, printer_incident: Incident
) -> None:
    prb = problem(plant)
    do_set_known_error(prb, {"symptom": "Printer drops off the network", "workaround": WORKAROUND,
                             "cis": ["BER-L3-PRN01"], "publish": True}, actor=plant.agent)  # fmt: skip
    other = problem(plant, "Historian gaps", ci="BER-HIST01")
    do_set_known_error(other, {"symptom": "Historian buffer full", "cis": ["BER-HIST01"]}, actor=plant.agent)
    html = page(plant, printer_incident)
    assert 'id="problem-panel"' in html
    assert "Link to problem" in html and "Create problem from incident" in html
    assert 'hx-get="/problems/suggest/"' in html
    assert "Matching known errors" in html
    assert "Printer drops off the network" in html and WORKAROUND in html
    assert "Historian buffer full" not in html  # another CI's known error


def test_known_errors_matching_the_short_description_are_offered_from_another_ci(
    plant: Plant, printer_incident: Incident
) -> None:
    on_other_ci = problem(plant, "Label printers lose their queue", ci="BER-HIST01")
    do_set_known_error(on_other_ci, {"symptom": "Label printer offline after the nightly restart",
                                     "cis": ["BER-HIST01"]}, actor=plant.agent)  # fmt: skip
    unrelated = problem(plant, "Historian gaps", ci="BER-HIST01")
    do_set_known_error(unrelated, {"symptom": "Historian buffer full", "cis": ["BER-HIST01"]}, actor=plant.agent)
    html = page(plant, printer_incident)  # "Label printer on line 3 offline" on BER-L3-PRN01
    assert "Label printer offline after the nightly restart" in html
    assert "Historian buffer full" not in html


def test_linked_incident_shows_problem_state_workaround_and_unlink(plant: Plant, printer_incident: Incident) -> None:
    prb = problem(plant)
    do_link_incidents(prb, [printer_incident.number], actor=plant.agent)
    do_set_known_error(prb, {"symptom": "Printer offline", "workaround": WORKAROUND, "publish": True},
                       actor=plant.agent)  # fmt: skip
    html = page(plant, printer_incident)
    assert f'href="/problems/{prb.number}/"' in html
    assert "state-new" in html and ">New<" in html
    assert WORKAROUND in html
    assert "Unlink" in html and "Link to problem" not in html
    # the workaround was posted as a public comment too
    assert JournalEntry.objects.filter(record_type="incident", record_id=printer_incident.pk, visibility="public",
                                       body__contains=WORKAROUND).count() == 1  # fmt: skip


def test_link_with_the_picker_then_unlink(plant: Plant, printer_incident: Incident) -> None:
    prb = problem(plant)
    client = client_for(plant.agent)
    response = client.post(f"/problems/incidents/{printer_incident.number}/link/", {"problem": prb.number})
    assert response.status_code == 303 and response.url == f"/incidents/{printer_incident.number}/"
    assert ProblemIncident.objects.get(incident=printer_incident).problem == prb
    html = text(client.get(response.url))
    assert f"{printer_incident.number} linked to {prb.number}." in html
    response = client.post(f"/problems/incidents/{printer_incident.number}/unlink/")
    assert response.status_code == 303
    assert not ProblemIncident.objects.filter(incident=printer_incident).exists()
    assert f"{printer_incident.number} unlinked from {prb.number}." in text(client.get(response.url))


def test_link_errors_appear_next_to_the_picker_and_nothing_is_written(plant: Plant, printer_incident: Incident) -> None:
    first, second = problem(plant), problem(plant, "Another printer problem")
    do_link_incidents(first, [printer_incident.number], actor=plant.agent)
    client = client_for(plant.agent)
    url = f"/problems/incidents/{printer_incident.number}/link/"
    # linked elsewhere (a stale page still shows the picker): the panel (htmx) with the error under it
    response = client.post(url, {"problem": second.number}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = text(response)
    assert 'class="field-error" id="problem_problem_error"' in html
    assert f"already linked to {first.number}" in html
    assert ProblemIncident.objects.get(incident=printer_incident).problem == first
    # unknown number, plain post: the whole incident page with the error
    other = make_incident(plant.agent, short_description="Printer again", ci="BER-L3-PRN01")
    response = client.post(f"/problems/incidents/{other.number}/link/", {"problem": "PRB9999999"})
    assert response.status_code == 400
    html = text(response)
    assert "Unknown problem PRB9999999." in html and other.number in html and "field-error" in html
    assert not ProblemIncident.objects.filter(incident=other).exists()
    response = client.post(f"/problems/incidents/{other.number}/link/", {"problem": ""})
    assert response.status_code == 400 and "Pick a problem." in text(response)


def test_create_problem_from_incident_carries_ci_and_text(plant: Plant, printer_incident: Incident) -> None:
    client = client_for(plant.agent)
    before = Problem.objects.count()
    response = client.post(f"/problems/incidents/{printer_incident.number}/create/")
    assert response.status_code == 303
    assert Problem.objects.count() == before + 1
    created = Problem.objects.order_by("-pk").first()
    assert created is not None
    assert response.url == f"/problems/{created.number}/"
    assert created.ci is not None and created.ci.name == "BER-L3-PRN01"
    assert created.short_description == "Label printer on line 3 offline"
    assert created.description == "No labels since 06:00." and created.category == "hardware"
    assert ProblemIncident.objects.get(incident=printer_incident).problem == created


def test_requester_never_sees_the_panel_nor_posts_to_it(plant: Plant, cis: Any) -> None:
    mine = make_incident(plant.requester, short_description="My label printer is offline", ci="BER-L3-PRN01")
    prb = problem(plant)
    do_link_incidents(prb, [mine.number], actor=plant.agent)
    do_set_known_error(prb, {"symptom": "Printer offline", "workaround": WORKAROUND, "publish": True},
                       actor=plant.agent)  # fmt: skip
    client = client_for(plant.requester)
    response = client.get(f"/incidents/{mine.number}/", follow=True)
    assert response.redirect_chain[-1][0] == f"/portal/{mine.number}/"
    portal = text(response)
    assert mine.number in portal
    assert "problem-panel" not in portal and "Link to problem" not in portal
    assert f"Workaround from {prb.number} (known error): {WORKAROUND}" in portal  # the posted public comment
    assert client.post(f"/problems/incidents/{mine.number}/unlink/").status_code == 403
    assert client.get("/problems/suggest/?problem=BER").status_code == 403
    assert ProblemIncident.objects.filter(incident=mine).exists()


def test_suggest_lists_only_open_problems_the_agent_may_see(plant: Plant, cis: Any) -> None:
    open_one = problem(plant, "BER-L3 label printer offline")
    closed = problem(plant, "BER-L3 label printer jam")
    do_transition_problem(closed, "canceled", actor=plant.agent, reason="Duplicate")
    singapore = do_create_problem({"short_description": "BER-L3 look-alike in Singapore", "site": "sin"},
                                  actor=plant.agent_sin)  # fmt: skip
    found = suggestions(client_for(plant.agent).get("/problems/suggest/?problem=label printer"))
    assert found == {open_one.number: "BER-L3 label printer offline"}
    by_number = suggestions(client_for(plant.agent).get(f"/problems/suggest/?problem={open_one.number[:6]}"))
    assert open_one.number in by_number and closed.number not in by_number and singapore.number not in by_number
    assert suggestions(client_for(plant.agent_sin).get("/problems/suggest/?problem=BER-L3")) == {
        singapore.number: "BER-L3 look-alike in Singapore"
    }


def test_the_demo_loads_the_printer_problem_and_a_candidate_once(db: Any) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=UTC), tick=False):
        load_demo()
        counts = (Problem.objects.count(), Incident.objects.count(), WorkaroundPosting.objects.count())
        load_demo()
        assert (Problem.objects.count(), Incident.objects.count(), WorkaroundPosting.objects.count()) == counts
        printer = Problem.objects.get(short_description=PROBLEM_TEXT)
        assert printer.state == "root_cause_analysis" and printer.ci is not None and printer.ci.name == "BER-L3-PRN01"
        states = sorted(printer.incident_links.values_list("incident__state", "incident__hold_reason"))
        assert len(states) == 5 and states.count(("on_hold", "awaiting_problem")) == 2 and ("resolved", "") in states
        known = KnownError.objects.get(problem=printer)
        assert known.published and "MES label queue" in known.published_workaround
        # the workaround was posted on the four open incidents, not on the resolved one
        assert WorkaroundPosting.objects.filter(known_error=known).count() == 4
        agent = User.objects.get(username="mmueller")
        assert "BER-WLC01" in [c.ci for c in problem_candidates(agent)]
