"""GET /api/v1/known-errors: ranked, agents only, by CI, in a bounded number of queries."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.problems.models import KnownError, KnownErrorCI, Problem
from plantdesk.testing.fixtures import ApiClient, Plant


def known_error(
    actor: User, number: str, symptom: str, workaround: str = "", cis: list[ConfigurationItem] = (), **more: Any
) -> KnownError:
    """A factory: the problem actions belong to another part of the app."""
    now = timezone.now()
    site = actor.sites.first()
    problem = Problem.objects.create(
        number=number, short_description=symptom[:160], priority=3, opened_by=actor, opened_at=now, updated_at=now,
        site=site,
    )  # fmt: skip
    ke = KnownError.objects.create(
        problem=problem, site=site, symptom=symptom, workaround=workaround, created_at=now, updated_at=now, **more
    )
    KnownErrorCI.objects.bulk_create([KnownErrorCI(known_error=ke, ci=ci) for ci in cis])
    return ke


def test_known_errors_best_match_first_with_cis_and_score(
    plant: Plant, plant_cis: dict[str, ConfigurationItem], django_assert_max_num_queries: Any
) -> None:
    plc = plant_cis["BER-L3-PLC01"]
    known_error(plant.agent, "PRB0001001", "MES login slow after shift change", "Clear the session cache")
    known_error(plant.agent, "PRB0001002", "Label printer prints blank labels", "Replace the ribbon", cis=[plc])
    known_error(plant.agent, "PRB0001003", "Historian gap", "Restart the label printer spooler service")
    api = ApiClient(plant.agent)
    with django_assert_max_num_queries(12):
        body = api.get("/known-errors", q="label printer").json()
    assert [i["problem"] for i in body["items"]] == ["PRB0001002", "PRB0001003"]
    assert body["items"][0] == {
        "problem": "PRB0001002", "symptom": "Label printer prints blank labels", "workaround": "Replace the ribbon",
        "cis": ["BER-L3-PLC01"], "score": body["items"][0]["score"],
    }  # fmt: skip
    assert body["items"][0]["score"] > body["items"][1]["score"] > 0
    assert body["count"] == 2


def test_ci_filters_to_known_errors_affecting_it(plant: Plant, plant_cis: dict[str, ConfigurationItem]) -> None:
    known_error(plant.agent, "PRB0001001", "Printer offline", cis=[plant_cis["BER-L3-PLC01"]])
    known_error(plant.agent, "PRB0001002", "Printer jams", cis=[plant_cis["BER-HIST01"]])
    api = ApiClient(plant.agent)
    items = api.get("/known-errors", q="printer", ci="BER-L3-PLC01").json()["items"]
    assert [i["problem"] for i in items] == ["PRB0001001"]
    assert [i["problem"] for i in api.get("/known-errors", ci="BER-HIST01").json()["items"]] == ["PRB0001002"]
    refused = api.get("/known-errors", ci="NO-SUCH-CI")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "ci"


def test_requesters_see_no_known_errors(plant: Plant) -> None:
    known_error(plant.agent, "PRB0001001", "Printer offline")
    assert ApiClient(plant.requester).get("/known-errors", q="printer").json() == {"items": [], "count": 0}


def test_hostile_query_text_is_no_error(plant: Plant) -> None:
    known_error(plant.agent, "PRB0001001", "Printer offline")
    for q in ['"', "NEAR(", "'; drop table x", "a OR", "*"]:
        assert ApiClient(plant.agent).get("/known-errors", q=q).status_code == 200


def test_a_known_error_is_found_wherever_its_problem_is_seen(plant: Plant, cis: Any) -> None:
    """The search reads the site copied onto the known error: it follows the problem's moves, and the
    assignee and the opener keep finding it elsewhere."""
    admin = ApiClient(plant.admin)
    number = admin.post("/problems", {"short_description": "Label printer offline", "site": "ber"}).json()["number"]
    assert admin.put(f"/problems/{number}/known-error", {"symptom": "Label printer offline"}).status_code == 200

    def found(user: User) -> list[str]:
        return [i["problem"] for i in ApiClient(user).get("/known-errors", q="label printer").json()["items"]]

    assert (found(plant.agent), found(plant.agent_sin)) == ([number], [])
    assert admin.patch(f"/problems/{number}", {"site": "sin"}).status_code == 200
    assert (found(plant.agent), found(plant.agent_sin)) == ([], [number])
    assigned = admin.patch(f"/problems/{number}", {"assignment_group": "MES Support", "assignee": "alice"})
    assert assigned.status_code == 200
    assert found(plant.agent) == [number]  # assigned to it, at another site
    assert found(plant.admin) == [number]  # opened it (and sees both sites)
