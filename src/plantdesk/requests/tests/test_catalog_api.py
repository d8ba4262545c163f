"""/api/v1/catalog: what each person may order, administrators' items and their versions."""

from __future__ import annotations

import pytest

from plantdesk.requests.models import CatalogItem, CatalogItemVersion, RequestItem
from plantdesk.requests.tests.conftest import LIMS_ANSWERS, Catalog, assert_error, order

pytestmark = pytest.mark.django_db


def test_a_requester_reads_the_catalog_with_its_questions(catalog: Catalog) -> None:
    api = catalog.api(catalog.plant.requester)
    items = {i["name"]: i for i in api.get("/catalog/items").json()["items"]}
    assert set(items) == {"hmi-account", "lims-role-access", "vendor-remote-access", "report-setup"}
    lims = items["lims-role-access"]
    assert lims["gxp"] is True and lims["approval"] == ["manager", "qa"] and lims["category"] == "access"
    assert [q["name"] for q in lims["questions"]] == ["role", "justification"]
    assert "access" not in lims  # the fulfilment template is the administrators' business
    assert items["hmi-account"]["approval"] == "none"
    assert api.get("/catalog/items/report-setup").json()["questions"][2]["show_if"] == {
        "question": "scheduled", "equals": True,
    }  # fmt: skip


def test_an_audience_hides_an_item_from_everyone_else(catalog: Catalog) -> None:
    admin = catalog.api(catalog.plant.admin)
    response = admin.patch("/catalog/items/hmi-account", {"audience": {"roles": ["agent"], "sites": ["ber"]}})
    assert response.status_code == 200, response.content
    assert response.json()["audience"] == {"roles": ["agent"], "sites": ["ber"], "groups": []}
    requester, agent, agent_sin = (catalog.api(u) for u in (catalog.plant.requester, catalog.plant.agent,
                                                            catalog.plant.agent_sin))  # fmt: skip
    assert "hmi-account" not in [i["name"] for i in requester.get("/catalog/items").json()["items"]]
    assert requester.get("/catalog/items/hmi-account").status_code == 404
    assert "hmi-account" in [i["name"] for i in agent.get("/catalog/items").json()["items"]]
    assert "hmi-account" not in [i["name"] for i in agent_sin.get("/catalog/items").json()["items"]]
    # nor can it be ordered by name
    assert_error(order(requester, "hmi-account", {"hmi": "BER-MES-APP01", "operator": "x"}), 400,
                 "items[0].catalog_item")  # fmt: skip


def test_an_edit_makes_a_version_and_orders_keep_theirs(catalog: Catalog) -> None:
    admin, requester = catalog.api(catalog.plant.admin), catalog.api(catalog.plant.requester)
    first = order(requester, "lims-role-access", LIMS_ANSWERS)
    assert first.status_code == 201, first.content
    questions = [*admin.get("/catalog/items/lims-role-access").json()["questions"],
                 {"name": "line", "label": "Line", "type": "text", "required": True}]  # fmt: skip
    edited = admin.patch("/catalog/items/lims-role-access", {"questions": questions})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert admin.patch("/catalog/items/lims-role-access", {"order": 5}).json()["version"] == 2  # not a definition
    item = RequestItem.objects.get(number=first.json()["items"][0]["number"])
    assert item.version.version == 1 and len(item.version.questions) == 2
    assert_error(order(requester, "lims-role-access", LIMS_ANSWERS), 400, "items[0].answers.line")
    assert CatalogItemVersion.objects.filter(item__name="lims-role-access").count() == 2


def test_only_administrators_maintain_the_catalog(catalog: Catalog) -> None:
    body = {"name": "badge", "category": "access", "title": "Badge printer"}
    assert_error(catalog.api(catalog.plant.agent).post("/catalog/items", body), 403)
    assert_error(catalog.api(catalog.plant.agent).patch("/catalog/items/hmi-account", {"title": "x"}), 403)
    assert not CatalogItem.objects.filter(name="badge").exists()
    created = catalog.api(catalog.plant.admin).post("/catalog/items", body)
    assert created.status_code == 201 and created.json()["version"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Has Spaces"}, "name"),
        ({"name": "hmi-account"}, "name"),
        ({"category": "nope"}, "category"),
        ({"questions": [{"name": "x", "label": "X", "type": "colour"}]}, "questions[0].type"),
        ({"questions": [{"name": "x", "label": "X", "type": "choice"}]}, "questions[0].choices"),
        ({"questions": [{"name": "x", "label": "X", "type": "text", "show_if": {"question": "y", "equals": 1}}]},
         "questions[0].show_if.question"),
        ({"approval": ["boss"]}, "approval[0]"),
        ({"approval": ["group:Catering"]}, "approval[0]"),
        ({"gxp": True}, "approval"),
        ({"tasks": [{"stage": 0, "short_description": "x", "assignment_group": "Network"}]}, "tasks[0].stage"),
        ({"tasks": [{"stage": 1, "short_description": "x", "assignment_group": "Catering"}]},
         "tasks[0].assignment_group"),
        ({"access": {"system": "NOPE", "role": "r", "max_days": 5}}, "access.system"),
        ({"access": {"system": "BER-OTGW01", "role": "r", "max_days": 5000}}, "access.max_days"),
        ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_bad_items_are_refused_naming_the_field(catalog: Catalog, change: dict, field: str) -> None:
    body = {"name": "badge", "category": "access", "title": "Badge printer", **change}
    assert_error(catalog.api(catalog.plant.admin).post("/catalog/items", body), 400, field)
    assert CatalogItem.objects.count() == 4
