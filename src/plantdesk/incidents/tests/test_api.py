"""/api/v1/incidents as CONTRACT.md sections 2 and 3 describe it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.core.models import AuditEntry
from plantdesk.incidents.models import Incident
from plantdesk.testing.fixtures import ApiClient, Plant, make_incident

CREATE = {
    "short_description": "Line 3 MES batch screen frozen",
    "description": "Operators cannot record the batch.",
    "impact": 2,
    "urgency": 1,
    "category": "software",
    "ci": "BER-MES-APP01",
    "caller": "rita",
    "assignment_group": "MES Support",
    "assignee": None,
    "source": "phone",
}


@pytest.fixture(autouse=True)
def _cmdb(plant_cis: dict[str, Any]) -> None:
    """The incidents below name CIs of the CMDB."""


@pytest.fixture
def agent_api(plant: Plant) -> ApiClient:
    return ApiClient(plant.agent)


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def test_create_returns_the_contract_fields(agent_api: ApiClient) -> None:
    response = agent_api.post("/incidents", CREATE)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "INC0001001"
    assert body["state"] == "new"
    assert body["priority"] == 2
    assert (body["impact"], body["urgency"]) == (2, 1)
    assert body["ci"] == "BER-MES-APP01"
    assert body["caller"] == "rita"
    assert body["assignment_group"] == "MES Support"
    assert body["assignee"] is None
    assert body["source"] == "phone"
    assert body["opened_at"].endswith("+00:00") or body["opened_at"].endswith("Z")
    for key in ("updated_at", "resolved_at", "closed_at"):
        assert key in body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"impact": "high"}, "impact"),
        ({"impact": 4}, "impact"),
        ({"urgency": True}, "urgency"),
        ({"short_description": ""}, "short_description"),
        ({"short_description": "x" * 161}, "short_description"),
        ({"colour": "red"}, "colour"),
        ({"source": "pigeon"}, "source"),
        ({"description": 42}, "description"),
        ({"impact": "2"}, "impact"),
        ({"urgency": 1.5}, "urgency"),
    ],
)
def test_malformed_create_is_422_naming_the_field_and_writes_nothing(
    agent_api: ApiClient, change: dict[str, Any], field: str
) -> None:
    audit_before = AuditEntry.objects.count()
    assert_error(agent_api.post("/incidents", {**CREATE, **change}), 422, field)
    assert not Incident.objects.exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assignment_group": "Catering"}, "assignment_group"),
        ({"caller": "nobody"}, "caller"),
        ({"assignee": "rita"}, "assignee"),
        ({"assignee": "siti"}, "assignee"),  # agent of another group
        ({"category": "weather"}, "category"),
        ({"parent": "INC9999999"}, "parent"),
        ({"ci": "BER-NOWHERE-01"}, "ci"),
        ({"ci": "SIN-MES-APP01"}, "ci"),  # a CI of a site the agent does not serve
    ],
)
def test_unknown_references_are_400_naming_the_field(agent_api: ApiClient, change: dict[str, Any], field: str) -> None:
    assert_error(agent_api.post("/incidents", {**CREATE, **change}), 400, field)
    assert not Incident.objects.exists()


@pytest.mark.parametrize("caller", [None, ""])
def test_a_caller_left_null_or_empty_is_the_person_raising_it(plant: Plant, caller: str | None) -> None:
    """The document marks `caller` optional and nullable: null means the default, as leaving it out does."""
    agent = ApiClient(plant.agent)
    raised = agent.post("/incidents", {**CREATE, "caller": caller})
    assert raised.status_code == 201, raised.content
    assert raised.json()["caller"] == "alice"
    own = ApiClient(plant.requester).post("/incidents", {"short_description": "Printer jam", "caller": caller})
    assert own.status_code == 201, own.content
    assert own.json()["caller"] == "rita"


def test_whole_numbers_written_with_a_point_are_whole_numbers(agent_api: ApiClient) -> None:
    """JSON Schema's integer: 1.0 is one (schemathesis sends it as a valid value); 1.5, true and "1" are not."""
    raised = agent_api.post("/incidents", {**CREATE, "impact": 3.0, "urgency": 1.0})
    assert raised.status_code == 201, raised.content
    assert (raised.json()["impact"], raised.json()["urgency"]) == (3, 1)
    number = raised.json()["number"]
    assert agent_api.patch(f"/incidents/{number}", {"time_worked_minutes": 30.0}).json()["time_worked_minutes"] == 30
    assert_error(agent_api.patch(f"/incidents/{number}", {"time_worked_minutes": True}), 422, "time_worked_minutes")


def test_malformed_json_and_oversized_bodies(agent_api: ApiClient) -> None:
    assert agent_api.post("/incidents", raw="{not json").status_code in (400, 422)
    huge = {**CREATE, "description": "x" * (2 * 1024 * 1024)}
    assert_error(agent_api.post("/incidents", huge), 413)
    assert not Incident.objects.exists()


def test_authentication_is_required(plant: Plant) -> None:
    anonymous = ApiClient(None)
    assert_error(anonymous.get("/incidents"), 401)
    forged = ApiClient(None)
    forged.headers["Authorization"] = "Bearer pd_not-a-real-token"
    assert_error(forged.get("/incidents"), 401)
    assert_error(forged.post("/incidents", CREATE), 401)


def test_tokens_are_stored_hashed(plant: Plant) -> None:
    from plantdesk.accounts.models import ApiToken

    client = ApiClient(plant.agent)
    token = client.headers["Authorization"].split()[1]
    stored = ApiToken.objects.get(user=plant.agent)
    assert token not in (stored.key_hash, stored.prefix)
    assert len(stored.key_hash) == 64


def test_list_filters_and_pages(plant: Plant, agent_api: ApiClient) -> None:
    for i in range(7):
        make_incident(plant.agent, short_description=f"Printer {i}", impact=1 + i % 3, urgency=1)
    make_incident(plant.agent, short_description="Historian gap", assignment_group="MES Support", ci="BER-HIST01")
    page = agent_api.get("/incidents", limit=3, offset=0).json()
    assert page["count"] == 8 and page["count_exact"] is True
    assert len(page["items"]) == 3
    priorities = [i["priority"] for i in agent_api.get("/incidents").json()["items"]]
    assert priorities == sorted(priorities)
    assert agent_api.get("/incidents", ci="BER-HIST01").json()["count"] == 1
    assert agent_api.get("/incidents", assignment_group="MES Support").json()["count"] == 1
    assert agent_api.get("/incidents", priority="1").json()["count"] == 3
    assert agent_api.get("/incidents", q="printer").json()["count"] == 7
    assert agent_api.get("/incidents", state="new,in_progress").json()["count"] == 8
    assert agent_api.get("/incidents", assignee="none").json()["count"] == 8


@pytest.mark.parametrize(
    ("params", "field"), [({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"state": "open"}, "state")]
)
def test_bad_list_parameters_name_the_parameter(agent_api: ApiClient, params: dict[str, Any], field: str) -> None:
    response = agent_api.get("/incidents", **params)
    assert response.status_code in (400, 422)
    assert field in [e["field"] for e in response.json()["errors"]]


def test_list_does_not_query_per_row(plant: Plant, agent_api: ApiClient) -> None:
    for i in range(3):
        make_incident(plant.agent, short_description=f"warm {i}", parent=None, ci="BER-OTGW01")
    agent_api.get("/incidents")  # the first use of a token records its last use
    with CaptureQueriesContext(connection) as few:
        agent_api.get("/incidents")
    for i in range(30):
        make_incident(
            plant.agent, short_description=f"row {i}", assignee="alice", major_incident=bool(i % 2),
            ci=["BER-MES-APP01", "BER-HIST01", "BER-L3-PLC01"][i % 3],
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        body = agent_api.get("/incidents").json()
    assert body["count"] == 33
    assert len(many.captured_queries) == len(few.captured_queries)


def test_requesters_see_only_their_own(plant: Plant) -> None:
    mine = make_incident(plant.agent, caller="rita")
    theirs = make_incident(plant.agent, caller="rob")
    rita = ApiClient(plant.requester)
    listed = rita.get("/incidents").json()
    assert [i["number"] for i in listed["items"]] == [mine.number]
    assert_error(rita.get(f"/incidents/{theirs.number}"), 404)
    assert_error(rita.post(f"/incidents/{theirs.number}/comments", {"body": "hi"}), 404)
    assert_error(rita.post(f"/incidents/{theirs.number}/transitions", {"to": "canceled", "reason": "x"}), 404)
    assert_error(rita.patch(f"/incidents/{mine.number}", {"impact": 1}), 403)


def test_agents_see_their_sites_only(plant: Plant) -> None:
    singapore = make_incident(plant.agent_sin, caller="sam")
    berlin = make_incident(plant.agent, caller="rita")
    numbers = [i["number"] for i in ApiClient(plant.agent).get("/incidents").json()["items"]]
    assert numbers == [berlin.number]
    assert ApiClient(plant.agent).get(f"/incidents/{singapore.number}").status_code == 404
    assert ApiClient(plant.manager).get(f"/incidents/{singapore.number}").status_code == 200
    assert ApiClient(plant.admin).get("/incidents").json()["count"] == 2


def test_patch_changes_fields_but_not_state(plant: Plant, agent_api: ApiClient) -> None:
    number = agent_api.post("/incidents", CREATE).json()["number"]
    response = agent_api.patch(f"/incidents/{number}", {"impact": 1, "assignee": "alice"})
    assert response.status_code == 200
    assert response.json()["priority"] == 1
    assert response.json()["assignee"] == "alice"
    assert_error(agent_api.patch(f"/incidents/{number}", {"state": "closed"}), 422, "state")
    assert_error(agent_api.patch("/incidents/INC0000404", {"impact": 1}), 404)


def test_transitions_follow_the_workflow(plant: Plant, agent_api: ApiClient) -> None:
    number = agent_api.post("/incidents", CREATE).json()["number"]
    refused = assert_error(agent_api.post(f"/incidents/{number}/transitions", {"to": "closed"}), 409)
    assert refused["allowed"] == ["in_progress", "on_hold", "resolved", "canceled"]
    assert "in_progress" in refused["detail"]
    assert_error(agent_api.post(f"/incidents/{number}/transitions", {"to": "on_hold"}), 400, "hold_reason")
    hold = agent_api.post(f"/incidents/{number}/transitions", {"to": "on_hold", "hold_reason": "awaiting_vendor"})
    assert hold.json()["state"] == "on_hold"
    assert hold.json()["hold_reason"] == "awaiting_vendor"
    assert_error(agent_api.post(f"/incidents/{number}/transitions", {"to": "resolved"}), 400, "resolution_code")
    resolved = agent_api.post(
        f"/incidents/{number}/transitions",
        {"to": "resolved", "resolution_code": "vendor_fix", "resolution_notes": "Hotfix 2.1 installed."},
    ).json()
    assert resolved["state"] == "resolved" and resolved["resolved_at"] is not None
    reopened = agent_api.post(f"/incidents/{number}/transitions", {"to": "in_progress"}).json()
    assert reopened["reopen_count"] == 1
    assert_error(agent_api.post(f"/incidents/{number}/transitions", {"to": "paused"}), 422, "to")


def test_comments_and_history(plant: Plant, agent_api: ApiClient) -> None:
    number = agent_api.post("/incidents", CREATE).json()["number"]
    public = agent_api.post(f"/incidents/{number}/comments", {"body": "Restarting the app server now."})
    assert public.status_code == 201
    assert public.json()["visibility"] == "public"
    internal = agent_api.post(f"/incidents/{number}/comments", {"body": "DB locks again", "visibility": "internal"})
    assert internal.status_code == 201
    assert_error(agent_api.post(f"/incidents/{number}/comments", {"body": ""}), 422, "body")
    agent_api.patch(f"/incidents/{number}", {"urgency": 3})

    history = agent_api.get(f"/incidents/{number}/history").json()["items"]
    assert {"at", "actor", "action", "field", "old", "new", "reason"} <= set(history[0])
    assert ("urgency", "1", "3") in [(h["field"], h["old"], h["new"]) for h in history]
    assert any(h["action"] == "work_note" for h in history)

    rita = ApiClient(plant.requester)
    assert [c["body"] for c in rita.get(f"/incidents/{number}/comments").json()["items"]] == [
        "Restarting the app server now."
    ]
    assert not any(h["action"] == "work_note" for h in rita.get(f"/incidents/{number}/history").json()["items"])
    assert_error(rita.post(f"/incidents/{number}/comments", {"body": "x", "visibility": "internal"}), 403)


def test_openapi_document_and_docs_page(plant: Plant, client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents" in spec["paths"]
    assert "/api/v1/incidents/{number}/transitions" in spec["paths"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs.content.decode())
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert all(a.startswith("/") for a in assets), assets  # served by PlantDesk itself, never from a CDN


def test_if_match_refuses_a_stale_patch(plant: Plant, agent_api: ApiClient) -> None:
    number = agent_api.post("/incidents", CREATE).json()["number"]
    etag = agent_api.get(f"/incidents/{number}")["ETag"]
    assert agent_api.patch(f"/incidents/{number}", {"urgency": 3}).status_code == 200
    stale = agent_api.client.patch(
        f"/api/v1/incidents/{number}", '{"impact": 1}', content_type="application/json",
        headers={**agent_api.headers, "If-Match": etag},
    )  # fmt: skip
    assert_error(stale, 409)
    assert agent_api.get(f"/incidents/{number}").json()["impact"] == 2
    fresh = agent_api.get(f"/incidents/{number}")["ETag"]
    ok = agent_api.client.patch(
        f"/api/v1/incidents/{number}", '{"impact": 1}', content_type="application/json",
        headers={**agent_api.headers, "If-Match": fresh},
    )  # fmt: skip
    assert ok.status_code == 200
    assert ok["ETag"] != fresh


def test_unknown_paths_and_methods_answer_json(agent_api: ApiClient) -> None:
    wrong_method = agent_api.patch("/incidents", {"impact": 1})
    body = assert_error(wrong_method, 405)
    assert "PATCH is not allowed" in body["detail"]
    assert "POST" in wrong_method["Allow"]
    assert_error(agent_api.get("/no-such-thing"), 404)


def test_nul_characters_are_refused_naming_the_field(agent_api: ApiClient) -> None:
    assert_error(
        agent_api.post("/incidents", {**CREATE, "short_description": "frozen\u0000"}), 400, "short_description"
    )
    number = agent_api.post("/incidents", CREATE).json()["number"]
    assert_error(agent_api.post(f"/incidents/{number}/comments", {"body": "a\u0000b"}), 400, "body")
    assert_error(agent_api.get("/incidents/INC%00"), 404)
    assert agent_api.get("/incidents", q="a\u0000b").status_code == 400


def test_a_parent_must_be_an_incident_the_actor_can_see(plant: Plant, agent_api: ApiClient) -> None:
    singapore = make_incident(plant.agent_sin, caller="sam")
    berlin = agent_api.post("/incidents", CREATE).json()["number"]
    assert_error(agent_api.patch(f"/incidents/{berlin}", {"parent": singapore.number}), 400, "parent")
    assert agent_api.get(f"/incidents/{berlin}").json()["parent"] is None


def test_resolving_a_parent_leaves_children_outside_the_resolvers_scope_open(plant: Plant) -> None:
    from plantdesk.incidents.actions import do_transition_incident

    parent = make_incident(plant.manager, caller="rita")  # Berlin
    singapore_child = make_incident(plant.manager, caller="sam", site="sin", parent=parent.number)
    berlin_child = make_incident(plant.manager, caller="rita", parent=parent.number)
    do_transition_incident(
        parent, "resolved", actor=plant.agent, resolution_code="solved_fix", resolution_notes="Switch replaced."
    )
    singapore_child.refresh_from_db()
    berlin_child.refresh_from_db()
    assert berlin_child.state == "resolved"
    assert singapore_child.state == "new"


def test_patch_that_moves_an_incident_out_of_scope_still_answers_with_it(plant: Plant, agent_api: ApiClient) -> None:
    number = make_incident(plant.manager, caller="rita").number  # alice neither raised nor works it
    moved = agent_api.patch(f"/incidents/{number}", {"site": "sin"})
    assert moved.status_code == 200
    assert moved.json()["site"] == "sin"
    assert_error(agent_api.get(f"/incidents/{number}"), 404)  # from now on it is Singapore's


def test_out_of_range_offset_and_overlong_cancel_reason(agent_api: ApiClient) -> None:
    assert_error(agent_api.get("/incidents", offset=10**20), 422, "offset")
    number = agent_api.post("/incidents", CREATE).json()["number"]
    too_long = agent_api.post(f"/incidents/{number}/transitions", {"to": "canceled", "reason": "x" * 2001})
    assert too_long.status_code in (400, 422)
    assert "reason" in [e["field"] for e in too_long.json()["errors"]]


def test_major_incident_communication_log(plant: Plant, agent_api: ApiClient) -> None:
    number = agent_api.post("/incidents", CREATE).json()["number"]
    refused = assert_error(agent_api.post(f"/incidents/{number}/communications", {"body": "Line 3 down"}), 409)
    assert "not a major incident" in refused["detail"]
    agent_api.patch(f"/incidents/{number}", {"major_incident": True, "major_incident_owner": "alice"})
    posted = agent_api.post(f"/incidents/{number}/communications", {"body": "MES restarted, batches resume 14:30."})
    assert posted.status_code == 201
    assert posted.json()["kind"] == "communication"
    log = agent_api.get(f"/incidents/{number}/communications").json()["items"]
    assert [e["body"] for e in log] == ["MES restarted, batches resume 14:30."]
    rita = ApiClient(plant.requester)  # the caller sees status updates with the comments
    assert "communication" in [c["kind"] for c in rita.get(f"/incidents/{number}/comments").json()["items"]]
    assert_error(rita.post(f"/incidents/{number}/communications", {"body": "me too"}), 403)
    history = agent_api.get(f"/incidents/{number}/history").json()["items"]
    assert any(h["action"] == "communication" for h in history)


def test_several_incidents_on_one_ci_within_minutes_are_proposed_as_a_major_incident(
    plant: Plant, agent_api: ApiClient
) -> None:
    for i in range(2):
        make_incident(plant.agent, ci="BER-L3-PLC01", short_description=f"Filler stop {i}")
    make_incident(plant.agent, ci="BER-HIST01")
    assert agent_api.get("/incidents/major-candidates").json()["items"] == []
    third = make_incident(plant.agent, ci="BER-L3-PLC01", short_description="Filler stop again")
    items = agent_api.get("/incidents/major-candidates").json()["items"]
    assert [(c["ci"], c["count"]) for c in items] == [("BER-L3-PLC01", 3)]
    assert third.number in items[0]["incidents"]
    from plantdesk.incidents.actions import do_update_incident

    do_update_incident(third, {"major_incident": True}, actor=plant.manager)
    assert agent_api.get("/incidents/major-candidates").json()["items"] == []  # already handled
    assert ApiClient(plant.agent_sin).get("/incidents/major-candidates").json()["items"] == []  # not their site


def test_the_channel_defaults_to_the_api(plant: Plant, agent_api: ApiClient) -> None:
    without_source = {k: v for k, v in CREATE.items() if k != "source"}
    assert agent_api.post("/incidents", without_source).json()["source"] == "api"
    rita = ApiClient(plant.requester)
    raised = rita.post("/incidents", {"short_description": "Badge reader dead"})
    assert raised.status_code == 201
    assert raised.json()["source"] == "api"
    assert raised.json()["caller"] == "rita"
    assert_error(rita.post("/incidents", {"short_description": "x", "source": "phone"}), 403, "source")
