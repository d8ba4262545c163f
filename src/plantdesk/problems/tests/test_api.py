"""/api/v1/problems as CONTRACT.md section 8 describes it: records, links, known errors, resolving incidents."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.core.models import AuditEntry, JournalEntry
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.models import Incident
from plantdesk.problems.models import Problem, ProblemIncident
from plantdesk.problems.tests.conftest import assert_error
from plantdesk.testing.fixtures import ApiClient, Plant, make_incident

pytestmark = pytest.mark.django_db


def incidents(plant: Plant, n: int, **fields: Any) -> list[str]:
    fields.setdefault("ci", "BER-L3-PRN01")
    return [make_incident(plant.agent, short_description=f"Label printer offline {i}", **fields).number
            for i in range(n)]  # fmt: skip


def create(api: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"short_description": "BER-L3 label printer offline", "ci": "BER-L3-PRN01", "impact": 2, "urgency": 2}
    response = api.post("/problems", {**body, **fields})
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_create_numbers_routes_and_links(agent_api: ApiClient, plant: Plant) -> None:
    linked = incidents(plant, 2)
    body = create(agent_api, incidents=linked, urgency=1)
    assert body["number"].startswith("PRB") and len(body["number"]) == 10
    assert body["state"] == "new" and body["priority"] == 2
    assert body["assignment_group"] == "OT Engineering"  # the CI's support group first
    assert body["site"] == "ber" and body["gxp_relevant"] is False
    assert body["incidents"] == sorted(linked)
    for number in linked:
        assert agent_api.get(f"/incidents/{number}").json()["problem"] == body["number"]
    history = agent_api.get(f"/incidents/{linked[0]}/history").json()["items"]
    assert any(h["field"] == "problem" and h["new"] == body["number"] for h in history)


def test_an_incident_links_to_one_problem_only(agent_api: ApiClient, plant: Plant) -> None:
    (number,) = incidents(plant, 1)
    first = create(agent_api, incidents=[number])
    second = create(agent_api)
    body = assert_error(agent_api.post(f"/problems/{second['number']}/incidents", {"incidents": [number]}), 400,
                        "incidents")  # fmt: skip
    assert first["number"] in body["errors"][0]["message"]
    assert ProblemIncident.objects.get(incident__number=number).problem.number == first["number"]
    # a create that names it is refused whole: no new problem, no link
    before = Problem.objects.count()
    assert_error(agent_api.post("/problems", {"short_description": "x", "incidents": [number]}), 400, "incidents")
    assert Problem.objects.count() == before


def test_unknown_numbers_name_the_field_and_write_nothing(agent_api: ApiClient, plant: Plant) -> None:
    before = (Problem.objects.count(), AuditEntry.objects.count())
    assert_error(agent_api.post("/problems", {"short_description": "x", "incidents": ["INC9999999"]}), 400, "incidents")
    assert_error(agent_api.post("/problems", {"short_description": "x", "fix_change": "CHG9999999"}), 400,
                 "fix_change")  # fmt: skip
    assert_error(agent_api.post("/problems", {"short_description": "x", "ci": "NOPE"}), 400, "ci")
    assert (Problem.objects.count(), AuditEntry.objects.count()) == before
    assert agent_api.get("/problems/PRB9999999").status_code == 404
    problem = create(agent_api)
    assert_error(agent_api.post(f"/problems/{problem['number']}/incidents", {"incidents": ["INC0000001"]}), 400,
                 "incidents")  # fmt: skip


def test_requesters_see_no_problems_and_cannot_raise_them(plant: Plant, agent_api: ApiClient) -> None:
    number = create(agent_api)["number"]
    requester = ApiClient(plant.requester)
    assert requester.get(f"/problems/{number}").status_code == 404
    assert requester.get("/problems").json()["count"] == 0
    assert requester.post("/problems", {"short_description": "x"}).status_code == 403
    assert ApiClient(plant.agent_sin).get(f"/problems/{number}").status_code == 404  # another site's desk


def test_transitions_follow_the_contract(agent_api: ApiClient) -> None:
    number = create(agent_api)["number"]
    response = agent_api.post(f"/problems/{number}/transitions", {"to": "resolved"})
    assert response.status_code == 409 and response.json()["allowed"] == ["assess", "canceled"]
    for to in ("assess", "root_cause_analysis", "fix_in_progress"):
        assert agent_api.post(f"/problems/{number}/transitions", {"to": to}).status_code == 200
    refused = agent_api.post(f"/problems/{number}/transitions", {"to": "resolved"})
    assert {e["field"] for e in refused.json()["errors"]} == {"resolution_code", "cause_notes"}
    assert_error(agent_api.post(f"/problems/{number}/transitions",
                                {"to": "resolved", "resolution_code": "bogus", "cause_notes": "x"}), 400,
                 "resolution_code")  # fmt: skip
    assert Problem.objects.get(number=number).state == "fix_in_progress"
    done = agent_api.post(f"/problems/{number}/transitions", {"to": "resolved", "resolution_code": "fix_applied",
                                                              "cause_notes": "Driver leaked handles."})  # fmt: skip
    assert done.status_code == 200 and done.json()["resolution_code"] == "fix_applied"
    assert done.json()["resolved_by"] == "alice"
    assert agent_api.post(f"/problems/{number}/transitions", {"to": "closed"}).json()["state"] == "closed"
    assert agent_api.patch(f"/problems/{number}", {"urgency": 1}).status_code == 409


def test_a_gxp_problem_asks_the_capa_question(agent_api: ApiClient) -> None:
    body = create(agent_api, ci="BER-LIMS01", short_description="LIMS export drops results")
    assert body["gxp_relevant"] is True
    number = body["number"]
    for to in ("assess", "root_cause_analysis"):
        agent_api.post(f"/problems/{number}/transitions", {"to": to})
    resolve = {"to": "resolved", "resolution_code": "fix_applied", "cause_notes": "Export job timeout."}
    assert_error(agent_api.post(f"/problems/{number}/transitions", resolve), 400, "capa_decision")
    assert_error(agent_api.post(f"/problems/{number}/transitions", {**resolve, "capa_decision": "not_required"}),
                 400, "capa_rationale")  # fmt: skip
    done = agent_api.post(f"/problems/{number}/transitions", {**resolve, "capa_decision": "required"})
    assert done.status_code == 200 and done.json()["capa_decision"] == "required"


def test_publishing_posts_the_workaround_once_per_incident_and_version(agent_api: ApiClient, plant: Plant) -> None:
    linked = incidents(plant, 3)
    do_transition_incident(Incident.objects.get(number=linked[2]), "resolved", actor=plant.agent,
                           resolution_code="solved_fix", resolution_notes="Replaced the cable.")  # fmt: skip
    number = create(agent_api, incidents=linked)["number"]
    known = {"symptom": "Printer shows offline after a shift change", "root_cause": "Driver leak",
             "workaround": "Power-cycle the printer and re-queue the labels.", "cis": ["BER-L3-PRN01"]}  # fmt: skip
    saved = agent_api.put(f"/problems/{number}/known-error", known)
    assert saved.status_code == 200 and saved.json()["published"] is False and saved.json()["posted_to"] == []

    def workaround_comments(incident: str) -> list[str]:
        items = agent_api.get(f"/incidents/{incident}/comments").json()["items"]
        return [c["body"] for c in items if "Workaround from" in c["body"] and c["visibility"] == "public"]

    published = agent_api.put(f"/problems/{number}/known-error", {**known, "publish": True})
    assert published.json()["workaround_version"] == 1
    assert sorted(published.json()["posted_to"]) == sorted(linked[:2])  # the resolved one is not open
    again = agent_api.put(f"/problems/{number}/known-error", {**known, "publish": True})
    assert again.json()["posted_to"] == [] and again.json()["workaround_version"] == 1
    assert [len(workaround_comments(n)) for n in linked] == [1, 1, 0]
    # the caller reads it in the portal
    portal = ApiClient(plant.agent).get(f"/incidents/{linked[0]}/comments").json()["items"]
    assert any("Power-cycle" in c["body"] for c in portal)

    changed = agent_api.put(
        f"/problems/{number}/known-error",
        {**known, "workaround": "Use the spare printer BER-L3-PRN02.", "publish": True},
    )
    assert changed.json()["workaround_version"] == 2 and len(changed.json()["posted_to"]) == 2
    assert [len(workaround_comments(n)) for n in linked] == [2, 2, 0]
    # an incident linked later gets the published version once
    (late,) = incidents(plant, 1)
    agent_api.post(f"/problems/{number}/incidents", {"incidents": [late]})
    assert len(workaround_comments(late)) == 1 and "spare printer" in workaround_comments(late)[0]


def test_publishing_without_a_workaround_is_refused(agent_api: ApiClient) -> None:
    number = create(agent_api)["number"]
    assert_error(agent_api.put(f"/problems/{number}/known-error", {"symptom": "Offline", "publish": True}), 400,
                 "workaround")  # fmt: skip
    assert agent_api.get(f"/problems/{number}/known-error").status_code == 404


def test_resolve_incidents_resolves_only_those_awaiting_the_problem(agent_api: ApiClient, plant: Plant) -> None:
    waiting, vendor, working = incidents(plant, 3)
    for number, reason in ((waiting, "awaiting_problem"), (vendor, "awaiting_vendor")):
        do_transition_incident(Incident.objects.get(number=number), "on_hold", actor=plant.agent, hold_reason=reason)
    problem = create(agent_api, incidents=[waiting, vendor, working])["number"]
    assert_error(agent_api.post(f"/problems/{problem}/resolve-incidents", {"resolution_code": "nope",
                                                                           "resolution_notes": "x"}),
                 400, "resolution_code")  # fmt: skip
    response = agent_api.post(
        f"/problems/{problem}/resolve-incidents",
        {"resolution_code": "known_error", "resolution_notes": "Fixed by the driver update."},
    )
    assert response.json() == {"resolved": [waiting]}
    states = dict(Incident.objects.filter(number__in=[waiting, vendor, working]).values_list("number", "state"))
    assert states == {waiting: "resolved", vendor: "on_hold", working: "new"}
    resolved = agent_api.get(f"/incidents/{waiting}").json()
    assert resolved["resolution_code"] == "known_error" and resolved["resolved_by"] == "alice"
    history = agent_api.get(f"/incidents/{waiting}/history").json()["items"]
    assert any(h["field"] == "state" and h["new"] == "resolved" and problem in h["reason"] for h in history)


def test_unlink(agent_api: ApiClient, plant: Plant) -> None:
    (number,) = incidents(plant, 1)
    problem = create(agent_api, incidents=[number])["number"]
    assert agent_api.delete(f"/problems/{problem}/incidents/{number}").status_code == 204
    assert agent_api.get(f"/incidents/{number}").json()["problem"] is None
    assert agent_api.delete(f"/problems/{problem}/incidents/{number}").status_code == 404


def test_candidates_are_recurring_unlinked_incidents(agent_api: ApiClient, plant: Plant) -> None:
    recurring = incidents(plant, 3)
    incidents(plant, 2, ci="BER-HIST01")  # below the minimum
    found = agent_api.get("/problems/candidates", days=30, min=3).json()["items"]
    assert [(c["ci"], c["count"], sorted(c["incidents"])) for c in found] == [("BER-L3-PRN01", 3, sorted(recurring))]
    create(agent_api, incidents=recurring[:1])
    assert agent_api.get("/problems/candidates", days=30, min=3).json()["items"] == []
    assert_error(agent_api.get("/problems/candidates", days=0), 422)


def test_list_does_not_query_per_row(agent_api: ApiClient, plant: Plant) -> None:
    for i in range(3):
        create(agent_api, incidents=incidents(plant, 2), short_description=f"p{i}")
    with CaptureQueriesContext(connection) as few:
        assert agent_api.get("/problems", limit=1).status_code == 200
    with CaptureQueriesContext(connection) as many:
        body = agent_api.get("/problems", limit=50).json()
    assert body["count"] == 3 and all(len(p["incidents"]) == 2 for p in body["items"])
    assert len(many) == len(few)


def test_comments_and_history(agent_api: ApiClient) -> None:
    number = create(agent_api)["number"]
    assert agent_api.post(f"/problems/{number}/comments", {"body": "Vendor ticket 4711", "visibility": "internal"}
                          ).status_code == 201  # fmt: skip
    assert [c["body"] for c in agent_api.get(f"/problems/{number}/comments").json()["items"]] == ["Vendor ticket 4711"]
    assert JournalEntry.objects.filter(record_type="problem").count() == 1
    history = agent_api.get(f"/problems/{number}/history").json()["items"]
    assert any(h["field"] == "short_description" for h in history)


def test_a_category_recurring_across_one_lines_cis_is_a_candidate(agent_api: ApiClient, plant: Plant) -> None:
    from plantdesk.cmdb.actions import do_create_ci, do_create_relationship

    do_create_ci({"name": "BER-L3", "ci_class": "line", "site": "ber"}, actor=plant.admin)
    do_create_ci({"name": "BER-L3-C1", "ci_class": "cell", "site": "ber"}, actor=plant.admin)
    do_create_relationship("BER-L3", "contains", "BER-L3-C1", actor=plant.admin)
    do_create_relationship("BER-L3-C1", "contains", "BER-L3-PLC01", actor=plant.admin)
    do_create_relationship("BER-L3-PRN01", "located_in", "BER-L3", actor=plant.admin)
    on_line = [*incidents(plant, 2, category="hardware"), *incidents(plant, 1, ci="BER-L3-PLC01", category="hardware")]
    incidents(plant, 1, ci="BER-L3-PLC01", category="network")  # another category
    found = agent_api.get("/problems/candidates", days=30, min=3).json()["items"]
    assert [(c["ci"], c["line"], c["category"], c["count"], sorted(c["incidents"])) for c in found] == [
        (None, "BER-L3", "hardware", 3, sorted(on_line))
    ]


def test_the_openapi_document_keeps_each_records_states(agent_api: ApiClient) -> None:
    """Two enums of one name would share one schema: incidents would be documented with problem states."""
    schemas = agent_api.get("/openapi.json").json()["components"]["schemas"]

    def states(name: str) -> list[str]:
        prop = schemas[name]["properties"]["state"]
        ref = prop.get("$ref")
        return list(schemas[ref.rsplit("/", 1)[1]]["enum"] if ref else prop["enum"])

    assert "in_progress" in states("IncidentOut") and "root_cause_analysis" not in states("IncidentOut")
    assert "root_cause_analysis" in states("ProblemOut") and "in_progress" not in states("ProblemOut")
