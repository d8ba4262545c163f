"""Creating, reading and editing changes through the API; bad input names its field and writes nothing."""

from __future__ import annotations

import pytest

from plantdesk.changes.models import ChangeRequest
from plantdesk.changes.tests.conftest import ChangePlant, change_body, later
from plantdesk.changes.tests.helpers import create, move
from plantdesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_normal_change_on_a_gxp_ci_is_gxp_relevant_and_rated(cp: ChangePlant) -> None:
    response = cp.api(cp.plant.agent).post("/changes", change_body())
    assert response.status_code == 201
    body = response.json()
    assert body["number"].startswith("CHG")
    assert body["state"] == "new"
    assert body["gxp_relevant"] is True
    assert body["cis"] == ["BER-MES-APP01"]
    assert body["site"] == "ber"
    assert body["assignee"] == "alice"
    assert body["risk"] == "moderate"  # no "yes" answers, a high-criticality CI
    risky = cp.api(cp.plant.agent).post(
        "/changes", change_body(risk_answers={"production_stop": True, "no_backout": True})
    )
    assert risky.json()["risk"] == "very_high"


def test_a_change_on_a_plc_gets_the_ot_task_template(cp: ChangePlant) -> None:
    number = create(cp, cis=["BER-L3-PLC01"], validation_impact="", qms_change_control_ref="")
    tasks = cp.api(cp.plant.agent).get(f"/changes/{number}/tasks").json()["items"]
    names = [t["short_description"] for t in tasks]
    assert names[1] == "Lock-out / tag-out"
    assert "Post-check: safety" in names and names[-1] == "Release to production"
    plain = create(cp, cis=["BER-FILE01"])
    assert cp.api(cp.plant.agent).get(f"/changes/{plain}/tasks").json()["items"] == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cis": ["BER-MES-APP01", "NO-SUCH-CI"]}, "cis"),
        ({"planned_end": later(4).isoformat()}, "planned_end"),
        ({"planned_start": "next tuesday"}, "planned_start"),
        ({"planned_start": "2026-12-05T22:00:00"}, "planned_start"),
        ({"type": "urgent"}, "type"),
        ({"type": "standard"}, "template"),
        ({"assignee": "nobody"}, "assignee"),
        ({"assignment_group": "No Such Group"}, "assignment_group"),
        ({"risk_answers": {"color": True}}, "risk_answers"),
        ({"validation_impact": "huge"}, "validation_impact"),
        ({"priority": 1}, "priority"),
        ({"short_description": None, "template": None}, "short_description"),  # reached full_clean(): a 500
        ({"short_description": "", "template": ""}, "short_description"),
        ({"validation_data_migration": "yes"}, "validation_data_migration"),
        ({"ot_tasks": 1}, "ot_tasks"),
        ({"risk_answers": {"production_stop": "no"}}, "risk_answers.production_stop"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(cp: ChangePlant, fields: dict[str, object], field: str) -> None:
    api = cp.api(cp.plant.agent)
    changes, audit = ChangeRequest.objects.count(), AuditEntry.objects.count()
    response = api.post("/changes", change_body(**fields))
    assert response.status_code in (400, 422), response.json()
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (ChangeRequest.objects.count(), AuditEntry.objects.count()) == (changes, audit)


def test_unknown_ci_message_names_the_ci(cp: ChangePlant) -> None:
    response = cp.api(cp.plant.agent).post("/changes", change_body(cis=["NO-SUCH-CI"]))
    assert "NO-SUCH-CI" in response.json()["errors"][0]["message"]


def test_requesters_cannot_raise_changes_and_other_sites_cannot_see_them(cp: ChangePlant) -> None:
    assert cp.api(cp.plant.requester).post("/changes", change_body()).status_code == 403
    number = create(cp)
    assert cp.api(cp.plant.agent_sin).get(f"/changes/{number}").status_code == 404
    assert cp.api(cp.plant.agent_sin).get("/changes").json()["count"] == 0
    assert cp.api(cp.plant.manager).get(f"/changes/{number}").status_code == 200


def test_out_of_order_transitions_are_refused_with_the_allowed_states(cp: ChangePlant) -> None:
    number = create(cp)
    for to in ("scheduled", "implement", "closed"):
        response = move(cp, number, to)
        assert response.status_code == 409
        assert response.json()["allowed"] == ["assess", "canceled"]
    assert move(cp, number, "flying").status_code == 400
    assert ChangeRequest.objects.get(number=number).state == "new"


def test_assessment_needs_plans_and_authorisation_needs_the_assessment(cp: ChangePlant) -> None:
    bare = create(cp, implementation_plan="", backout_plan="", cis=[])
    response = move(cp, bare, "assess")
    assert response.status_code == 409
    assert {e["field"] for e in response.json()["errors"]} == {"implementation_plan", "backout_plan", "cis"}

    number = create(
        cp, risk_answers={}, validation_impact="", qms_change_control_ref="", justification="",
        planned_start=later(1).isoformat(), planned_end=later(1, 2).isoformat(),
    )  # fmt: skip
    assert move(cp, number, "assess").status_code == 200
    response = move(cp, number, "authorize")
    assert response.status_code == 409
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"risk_answers", "justification", "validation_impact", "planned_start"}
    patch = cp.api(cp.plant.agent).patch(f"/changes/{number}", {"validation_impact": "major"})
    assert patch.status_code == 200
    response = move(cp, number, "authorize")
    assert "qms_change_control_ref" in {e["field"] for e in response.json()["errors"]}


def test_canceling_needs_a_reason_and_frees_the_cis(cp: ChangePlant) -> None:
    number = create(cp)
    assert move(cp, number, "canceled").json()["errors"][0]["field"] == "reason"
    assert move(cp, number, "canceled", reason="Vendor withdrew the patch.").status_code == 200
    change = ChangeRequest.objects.get(number=number)
    assert change.cancel_reason == "Vendor withdrew the patch."
    assert not change.ci_links.filter(active=True).exists()
    assert cp.api(cp.plant.agent).patch(f"/changes/{number}", {"description": "x"}).status_code == 409


def test_list_filters_and_costs_the_same_queries_for_more_rows(cp: ChangePlant, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        create(cp)
    create(cp, cis=["BER-FILE01"], type="emergency")
    api = cp.api(cp.plant.agent)
    assert api.get("/changes", type="emergency").json()["count"] == 1
    assert api.get("/changes", ci="BER-FILE01").json()["count"] == 1
    assert api.get("/changes", state="new").json()["count"] == 4
    assert api.get("/changes", state="bogus").status_code == 400
    with django_assert_max_num_queries(8):
        body = api.get("/changes", limit=50).json()
    assert len(body["items"]) == 4


def test_history_records_creation_and_every_edit(cp: ChangePlant) -> None:
    number = create(cp)
    cp.api(cp.plant.agent).patch(f"/changes/{number}", {"backout_plan": "Restore the VM snapshot."})
    items = cp.api(cp.plant.agent).get(f"/changes/{number}/history").json()["items"]
    assert any(i["field"] == "backout_plan" and i["new"] == "Restore the VM snapshot." for i in items)
    assert any(i["action"] == "created" and i["new"] == number for i in items)
