"""The problem pages through Django's test client (real database, real actions): the list with its
candidates, the create form, the problem page's forms and dialogs, and the change page's panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.changes.tests.conftest import ChangePlant
from plantdesk.changes.tests.helpers import create as create_change
from plantdesk.core.journal import journal_for
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.problems.actions import do_create_problem, do_transition_problem
from plantdesk.problems.models import KnownError, Problem, ProblemIncident
from plantdesk.testing.fixtures import Plant, client_for, make_incident, refused_as_agents_only, suggestions, text

pytestmark = pytest.mark.django_db

PRINTER = "BER-L3-PRN01"


def incidents(plant: Plant, n: int, **fields: Any) -> list[Incident]:
    fields.setdefault("ci", PRINTER)
    return [make_incident(plant.agent, short_description=f"Label printer offline {i}", **fields) for i in range(n)]


def problem(plant: Plant, **fields: Any) -> Problem:
    data = {"short_description": "BER-L3 label printer offline", "ci": PRINTER, "impact": 2, "urgency": 2, **fields}
    return do_create_problem(data, actor=plant.agent)


def on_hold_awaiting_problem(plant: Plant, incident: Incident) -> None:
    do_transition_incident(incident, "in_progress", actor=plant.agent)
    do_transition_incident(Incident.objects.get(pk=incident.pk), "on_hold", actor=plant.agent,
                           hold_reason="awaiting_problem")  # fmt: skip


# -- list -----------------------------------------------------------------------------------------


def test_list_shows_labels_and_the_navigation_item(plant: Plant, cis: Any) -> None:
    first = problem(plant, incidents=[i.number for i in incidents(plant, 2)])
    do_transition_problem(first, "assess", actor=plant.agent)
    do_transition_problem(first, "root_cause_analysis", actor=plant.agent)
    page = text(client_for(plant.agent).get("/problems/"))
    assert first.number in page and "BER-L3 label printer offline" in page
    assert "Root cause analysis" in page and "root_cause_analysis<" not in page
    assert PRINTER in page and 'href="/problems/"' in page  # the CI, and "Problems" in the navigation
    assert ">Problems<" in page


def test_requester_gets_the_agents_only_page(plant: Plant, cis: Any) -> None:
    made = problem(plant)
    client = client_for(plant.requester)
    assert refused_as_agents_only(client.get("/problems/"))
    assert refused_as_agents_only(client.get(f"/problems/{made.number}/"))
    assert refused_as_agents_only(client.get("/problems/new/"))


def test_open_only_by_default_and_my_problems(plant: Plant, cis: Any) -> None:
    mine = problem(plant, short_description="Mine to work", assignee="alice")
    canceled = problem(plant, short_description="Gone already")
    do_transition_problem(canceled, "canceled", actor=plant.agent, reason="Duplicate")
    client = client_for(plant.agent)
    page = text(client.get("/problems/"))
    assert mine.number in page and canceled.number not in page
    assert canceled.number in text(client.get("/problems/?show=all"))
    other = problem(plant, short_description="Someone else's", assignee="otto")
    page = text(client.get("/problems/?mine=on"))
    assert mine.number in page and other.number not in page
    assert client.get("/problems/?sort=bogus").status_code == 400
    for sort in ("state", "-state", "number", "-opened"):
        assert client.get(f"/problems/?show=all&sort={sort}").status_code == 200


def test_list_queries_do_not_grow_with_rows(plant: Plant, cis: Any) -> None:
    client = client_for(plant.agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/problems/").status_code == 200
        return len(captured)

    problem(plant, incidents=[incidents(plant, 1)[0].number])
    count()  # the first request of a session reads what later ones have cached
    one = count()
    for _ in range(4):
        problem(plant, incidents=[incidents(plant, 1)[0].number], fix_change=None)
    assert len(text(client.get("/problems/")).split('class="rowlink"')) == 6
    assert count() == one


def test_candidates_and_create_problem_from_these(plant: Plant, cis: Any) -> None:
    recurring = [i.number for i in incidents(plant, 3)]
    client = client_for(plant.agent)
    page = text(client.get("/problems/"))
    assert "Problem candidates" in page and "Create problem from these" in page
    assert all(n in page for n in recurring)
    assert "No candidates" in text(client.get("/problems/?minimum=4"))
    response = client.post("/problems/candidates/create/", {"incidents": recurring})
    assert response.status_code == 303
    made = Problem.objects.get()
    assert response["Location"] == f"/problems/{made.number}/"
    assert sorted(ProblemIncident.objects.filter(problem=made).values_list("incident__number", flat=True)) == recurring
    assert made.ci is not None and made.ci.name == PRINTER
    assert "No candidates" in text(client.get("/problems/"))  # linked now, no longer a candidate


# -- create ---------------------------------------------------------------------------------------


def test_create_form_links_incidents_and_puts_errors_next_to_fields(plant: Plant, cis: Any) -> None:
    client = client_for(plant.agent)
    assert "Create problem" in text(client.get("/problems/new/"))
    response = client.post("/problems/new/", {"short_description": "", "impact": "2", "urgency": "2",
                                              "incidents": "INC9999999"})  # fmt: skip
    assert response.status_code == 400 and Problem.objects.count() == 0
    assert 'id="id_incidents_error"' in text(response) or "INC9999999" in text(response)
    numbers = [i.number for i in incidents(plant, 2)]
    response = client.post("/problems/new/", {
        "short_description": "Printer drops labels", "impact": "2", "urgency": "1", "ci": PRINTER,
        "incidents": ", ".join(numbers),
    })  # fmt: skip
    assert response.status_code == 303, text(response)
    made = Problem.objects.get()
    assert made.assignment_group is not None and made.assignment_group.name == "OT Engineering"
    assert set(ProblemIncident.objects.filter(problem=made).values_list("incident__number", flat=True)) == set(numbers)


def test_incident_suggestions(plant: Plant, cis: Any) -> None:
    (incident,) = incidents(plant, 1)
    client = client_for(plant.agent)
    found = suggestions(client.get("/problems/suggest/incidents/", {"incidents": incident.number[:5]}))
    assert incident.number in found
    found = suggestions(client.get("/problems/suggest/incidents/", {"incidents": "printer off"}))
    assert found[incident.number] == incident.short_description
    sin = make_incident(plant.agent_sin, short_description="Label printer offline in Singapore")
    assert sin.number not in suggestions(client.get("/problems/suggest/incidents/", {"incidents": "printer"}))


# -- problem page ---------------------------------------------------------------------------------


def test_detail_shows_labels_and_the_gxp_badge(plant: Plant, cis: Any) -> None:
    gxp = problem(plant, ci="BER-LIMS01")
    page = text(client_for(plant.agent).get(f"/problems/{gxp.number}/"))
    assert "GxP relevant: the resolution answers the CAPA question" in page
    assert ">New<" in page and "Start assessment" in page and "Cancel problem" in page
    history = text(client_for(plant.agent).get(f"/problems/{gxp.number}/?tab=history"))
    assert "GxP relevant" in history and "gxp_relevant" not in history.split("<tbody>", 1)[-1]


def test_link_and_unlink_from_the_page(plant: Plant, cis: Any) -> None:
    made = problem(plant)
    first, second = incidents(plant, 2)
    client = client_for(plant.agent)
    response = client.post(f"/problems/{made.number}/incidents/", {"incidents": f"{first.number} {second.number}"})
    assert response.status_code == 303
    page = text(client.get(response["Location"]))
    assert f"Linked to {made.number}" in page and f'href="/incidents/{first.number}/"' in page
    assert ProblemIncident.objects.filter(problem=made).count() == 2
    response = client.post(f"/problems/{made.number}/incidents/{first.number}/unlink/")
    assert response.status_code == 303
    assert list(ProblemIncident.objects.filter(problem=made).values_list("incident__number", flat=True)) == [
        second.number
    ]
    assert f"{first.number} unlinked" in text(client.get(response["Location"]))
    history = text(client.get(f"/problems/{made.number}/?tab=history"))
    assert "Added: Linked incidents" in history and "Removed: Linked incidents" in history
    assert "incident_linked" not in history
    # an incident linked to another problem is refused next to the field, nothing linked
    other = problem(plant, short_description="Another")
    response = client.post(f"/problems/{other.number}/incidents/", {"incidents": second.number})
    assert response.status_code == 400 and made.number in text(response)
    assert not ProblemIncident.objects.filter(problem=other).exists()


def test_resolve_dialog_error_next_to_the_field_and_nothing_written(plant: Plant, cis: Any) -> None:
    made = problem(plant)
    for to in ("assess", "root_cause_analysis"):
        made = do_transition_problem(made, to, actor=plant.agent)
    client = client_for(plant.agent)
    response = client.post(f"/problems/{made.number}/transition/",
                           {"to": "resolved", "resolution_code": "fix_applied", "cause_notes": " "})  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    assert 'id="t_resolved_cause_notes_error"' in page and "Cause notes are required" in page
    assert 'id="dialog-resolved" class="dialog" data-open-on-load' in page
    assert Problem.objects.get(pk=made.pk).state == "root_cause_analysis"
    fixed = {"to": "resolved", "resolution_code": "fix_applied", "cause_notes": "Worn cutter."}
    response = client.post(f"/problems/{made.number}/transition/", fixed)
    assert response.status_code == 303
    assert Problem.objects.get(pk=made.pk).state == "resolved"


def test_gxp_resolve_asks_the_capa_question_and_illegal_moves_flash(plant: Plant, cis: Any) -> None:
    made = problem(plant, ci="BER-LIMS01")
    for to in ("assess", "root_cause_analysis"):
        made = do_transition_problem(made, to, actor=plant.agent)
    client = client_for(plant.agent)
    assert 'name="capa_decision"' in text(client.get(f"/problems/{made.number}/"))
    response = client.post(f"/problems/{made.number}/transition/", {
        "to": "resolved", "resolution_code": "fix_applied", "cause_notes": "Bad config.",
        "capa_decision": "not_required",
    })  # fmt: skip
    assert response.status_code == 400 and 'id="t_resolved_capa_rationale_error"' in text(response)
    response = client.post(f"/problems/{made.number}/transition/", {"to": "closed"})
    assert response.status_code == 303
    assert "cannot go from" in text(client.get(response["Location"]))


def test_resolve_linked_incidents_from_the_page(plant: Plant, cis: Any) -> None:
    waiting, other = incidents(plant, 2)
    made = problem(plant, incidents=[waiting.number, other.number])
    on_hold_awaiting_problem(plant, waiting)
    client = client_for(plant.agent)
    page = text(client.get(f"/problems/{made.number}/"))
    assert "1 incident is on hold awaiting this problem." in page and "Awaiting problem" in page
    response = client.post(f"/problems/{made.number}/resolve-incidents/", {"resolution_code": ""})
    assert response.status_code == 400 and 'id="r_resolution_code_error"' in text(response)
    assert Incident.objects.get(pk=waiting.pk).state == "on_hold"
    response = client.post(f"/problems/{made.number}/resolve-incidents/",
                           {"resolution_code": "solved_fix", "resolution_notes": "Cutter replaced."})  # fmt: skip
    assert response.status_code == 303, text(response)
    assert Incident.objects.get(pk=waiting.pk).state == "resolved"
    assert Incident.objects.get(pk=other.pk).state == "new"


def test_publish_workaround_from_the_page_posts_to_linked_incidents(plant: Plant, cis: Any) -> None:
    linked = incidents(plant, 2)
    made = problem(plant, incidents=[i.number for i in linked])
    client = client_for(plant.agent)
    base = {"symptom": "Labels print blank", "root_cause": "", "workaround": "Use printer 2.", "cis": PRINTER,
            "vendor": "Zebra", "product_model": "ZT410", "affected_version": ""}  # fmt: skip
    response = client.post(f"/problems/{made.number}/known-error/", {**base, "publish": "0"})
    assert response.status_code == 303
    known = KnownError.objects.get(problem=made)
    assert known.workaround_version == 0 and [c.name for c in known.cis.all()] == [PRINTER]
    response = client.post(f"/problems/{made.number}/known-error/", {**base, "publish": "1"})
    page = text(client.get(response["Location"]))
    assert "Workaround v1 posted to 2 incidents." in page
    assert "Workaround v1 published" in page and "Alice Agent" in page
    for incident in linked:
        bodies = [e.body for e in journal_for("incident", incident.pk, include_internal=True)]
        assert any("Use printer 2." in b for b in bodies)
    response = client.post(f"/problems/{made.number}/known-error/",
                           {**base, "workaround": "Use printer 3.", "publish": "1"})  # fmt: skip
    assert "Workaround v2 posted to 2 incidents." in text(client.get(response["Location"]))
    response = client.post(f"/problems/{made.number}/known-error/", {**base, "symptom": "", "publish": "0"})
    assert response.status_code == 400 and 'id="ke_symptom_error"' in text(response)


def test_edit_sets_the_fix_change_and_comment(cp: ChangePlant) -> None:
    plant = cp.plant
    change = create_change(cp, cis=["BER-FILE01"])
    made = problem(plant, ci="BER-FILE01")
    client = client_for(plant.agent)
    found = suggestions(client.get("/changes/suggest/", {"fix_change": change[:5]}))
    assert change in found
    page = text(client.get(f"/problems/{made.number}/"))
    stamp = made.updated_at.isoformat()
    assert "updated_at" in page
    response = client.post(f"/problems/{made.number}/edit/", {
        **_edit_initial(made), "fix_change": change, "updated_at": stamp,
    })  # fmt: skip
    assert response.status_code == 303, text(response)
    page = text(client.get(f"/problems/{made.number}/"))
    assert f'href="/changes/{change}/"' in page
    response = client.post(f"/problems/{made.number}/edit/", {**_edit_initial(made), "updated_at": stamp,
                                                               "short_description": "Stale"})  # fmt: skip
    assert response.status_code == 303 and "changed by someone else" in text(client.get(response["Location"]))
    response = client.post(f"/problems/{made.number}/comment/", {"body": "Checked the cutter.", "visibility": ""})
    assert response.status_code == 303
    assert "Checked the cutter." in text(client.get(f"/problems/{made.number}/"))


def _edit_initial(made: Problem) -> dict[str, str]:
    from plantdesk.problems.forms import ProblemEditForm

    fresh = Problem.objects.select_related("ci", "assignment_group", "assignee", "fix_change").get(pk=made.pk)
    return {k: str(v) for k, v in ProblemEditForm.initial_for(fresh).items() if k != "updated_at"}


def test_change_page_lists_the_problems_it_fixes(cp: ChangePlant) -> None:
    plant = cp.plant
    change = create_change(cp, cis=["BER-FILE01"])
    fixed = problem(plant, ci="BER-FILE01", fix_change=change)
    page = text(client_for(plant.agent).get(f"/changes/{change}/"))
    assert "Problems this change fixes" in page and fixed.number in page and ">New<" in page
    assert "resolves those in fix in progress" in page
    other = create_change(cp, cis=["BER-FILE01"])
    assert "Problems this change fixes" not in text(client_for(plant.agent).get(f"/changes/{other}/"))
