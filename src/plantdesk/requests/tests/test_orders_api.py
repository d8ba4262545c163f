"""POST /api/v1/requests: a cart of items for oneself or someone else, answers checked server-side."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.changes.models import Approval
from plantdesk.requests.catalog import do_create_catalog_item
from plantdesk.requests.models import RequestItem, ServiceRequest
from plantdesk.requests.tests.conftest import LIMS_ANSWERS, Catalog, assert_error, order

pytestmark = pytest.mark.django_db


def test_a_cart_gets_numbers_and_each_item_its_own_state(catalog: Catalog) -> None:
    api = catalog.api(catalog.plant.requester)
    response = api.post("/requests", {"items": [
        {"catalog_item": "lims-role-access", "answers": LIMS_ANSWERS},
        {"catalog_item": "report-setup", "answers": {"report": "Scrap per shift"}, "quantity": 2},
    ]})  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("REQ") and len(body["number"]) == 10
    assert body["requested_for"] == body["requested_by"] == "rita" and body["site"] == "ber"
    lims, report = body["items"]
    assert lims["number"].startswith("RITM") and lims["state"] == "pending_approval"
    assert [(a["step"], a["approver"], a["state"]) for a in lims["approvals"]] == [
        ("manager", "maria", "requested"), ("qa", "quinn", "not_requested"),
    ]  # fmt: skip
    assert report["state"] == "fulfilled" and report["quantity"] == 2  # no approval, no task: done at once
    assert body["state"] == "in_approval"  # what is left waits for approvers
    assert api.get(f"/requests/{body['number']}").json()["items"][0]["answers"] == LIMS_ANSWERS
    assert api.get(f"/request-items/{lims['number']}").json()["request"] == body["number"]


def test_a_conditional_question_is_required_only_when_shown(catalog: Catalog) -> None:
    api = catalog.api(catalog.plant.requester)
    assert_error(order(api, "report-setup", {"report": "OEE", "scheduled": True}), 400, "items[0].answers.every")
    shown = order(api, "report-setup", {"report": "OEE", "scheduled": True, "every": "weekly"})
    assert shown.json()["items"][0]["answers"] == {"report": "OEE", "scheduled": True, "every": "weekly"}
    hidden = order(api, "report-setup", {"report": "OEE", "scheduled": False})
    assert hidden.json()["items"][0]["answers"] == {"report": "OEE", "scheduled": False}  # not asked, not needed
    answered = order(api, "report-setup", {"report": "OEE", "scheduled": False, "every": "weekly"})
    assert "leave it out" in assert_error(answered, 400, "items[0].answers.every")["errors"][0]["message"]


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([{"catalog_item": "lims-role-access", "answers": {"role": "admin", "justification": "x"}}],
         "items[0].answers.role"),
        ([{"catalog_item": "lims-role-access", "answers": {"role": "analyst"}}], "items[0].answers.justification"),
        ([{"catalog_item": "lims-role-access", "answers": {**LIMS_ANSWERS, "colour": "red"}}],
         "items[0].answers.colour"),
        ([{"catalog_item": "hmi-account", "answers": {"hmi": "NO-SUCH-CI", "operator": "Ann"}}],
         "items[0].answers.hmi"),
        ([{"catalog_item": "report-setup", "answers": {"report": "OEE", "scheduled": "maybe"}}],
         "items[0].answers.scheduled"),
        ([{"catalog_item": "report-setup", "answers": {"report": "OEE"}, "quantity": 0}], "items[0].quantity"),
        ([{"catalog_item": "nope"}], "items[0].catalog_item"),
        ([{"catalog_item": "report-setup", "answers": {"report": "OEE"}},
          {"catalog_item": "lims-role-access", "answers": {}}], "items[1].answers.role"),
        ([], "items"),
    ],
)  # fmt: skip
def test_bad_orders_are_refused_whole_naming_the_answer(catalog: Catalog, items: list, field: str) -> None:
    api = catalog.api(catalog.plant.requester)
    assert_error(api.post("/requests", {"items": items}), 400, field)
    assert ServiceRequest.objects.count() == RequestItem.objects.count() == Approval.objects.count() == 0


def test_ordering_for_someone_else_asks_their_manager(catalog: Catalog) -> None:
    p = catalog.plant
    api = catalog.api(p.agent)
    body = order(api, "lims-role-access", LIMS_ANSWERS, requested_for="rita").json()
    assert body["requested_by"] == "alice" and body["requested_for"] == "rita"
    assert body["items"][0]["approvals"][0]["approver"] == "maria"
    # rob has no manager: his order cannot be approved, so it is refused now rather than stuck
    assert_error(order(api, "lims-role-access", LIMS_ANSWERS, requested_for="rob"), 400, "requested_for")
    assert_error(order(api, "report-setup", {"report": "x"}, requested_for="ghost"), 400, "requested_for")
    # rita sees what was ordered for her; another site's requester does not
    assert catalog.api(p.requester).get(f"/requests/{body['number']}").status_code == 200
    assert catalog.api(p.requester_sin).get(f"/requests/{body['number']}").status_code == 404
    assert catalog.api(p.requester2).get(f"/request-items/{body['items'][0]['number']}").status_code == 404


def test_the_request_list_does_not_query_per_request(catalog: Catalog) -> None:
    api = catalog.api(catalog.plant.requester)
    for _ in range(2):
        order(api, "lims-role-access", LIMS_ANSWERS)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/requests").json()["items"]) == 2
    for _ in range(6):
        order(api, "lims-role-access", LIMS_ANSWERS)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/requests").json()["items"]) == 8
    assert len(many) == len(few)


TABLET = {
    "name": "line-tablet", "category": "access", "title": "Line tablet", "approval": ["manager"],
    "questions": [
        {"name": "model", "label": "Model", "type": "choice", "required": True, "choices": ["10 inch", "8 inch"]},
        {"name": "line", "label": "Line", "type": "ci", "required": True},
        {"name": "scanner", "label": "Scanner?", "type": "boolean"},
        {"name": "symbology", "label": "Barcodes", "type": "choice", "required": True, "choices": ["QR", "Code 128"],
         "show_if": {"question": "scanner", "equals": True}},
        {"name": "justification", "label": "Why", "type": "textarea", "required": True},
    ],
    "tasks": [{"stage": 1, "short_description": "Enrol the tablet", "assignment_group": "Service Desk"},
              {"stage": 2, "short_description": "Pair it", "assignment_group": "OT Engineering"}],
}  # fmt: skip
TABLET_ANSWERS = {"model": "8 inch", "line": "BER-L3-PLC01", "scanner": True, "symbology": "QR",
                  "justification": "Second shift"}  # fmt: skip


def test_the_answer_to_an_order_is_what_reading_it_back_shows(catalog: Catalog) -> None:
    """The order's answer is built from the rows just written; it must equal the request read back."""
    do_create_catalog_item(TABLET, actor=catalog.plant.admin)
    api = catalog.api(catalog.plant.agent)
    carts = [
        [{"catalog_item": "lims-role-access", "answers": LIMS_ANSWERS},
         {"catalog_item": "report-setup", "answers": {"report": "Scrap per shift"}, "quantity": 2},
         {"catalog_item": "hmi-account", "answers": {"hmi": "BER-L3-PLC01", "operator": "Ann"}}],
        [{"catalog_item": "line-tablet", "answers": TABLET_ANSWERS},
         {"catalog_item": "line-tablet", "answers": {**TABLET_ANSWERS, "scanner": False, "symbology": None}}],
    ]  # fmt: skip
    for items in carts:
        created = api.post("/requests", {"items": items, "requested_for": "rita"})
        assert created.status_code == 201, created.content
        assert created.json() == api.get(f"/requests/{created.json()['number']}").json()


def test_an_order_takes_a_fixed_number_of_queries(catalog: Catalog) -> None:
    """Neither more questions nor more data already there make an order read more (CI answers are read
    once, the answer is not read back)."""
    p = catalog.plant
    do_create_catalog_item(TABLET, actor=p.admin)
    api = catalog.api(p.requester)

    def counted(name: str, answers: dict) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert order(api, name, answers).status_code == 201
        return len(queries)

    order(api, "line-tablet", TABLET_ANSWERS)  # the first one fills the per-process caches and counters
    first = counted("line-tablet", TABLET_ANSWERS)
    for _ in range(5):
        order(api, "line-tablet", TABLET_ANSWERS)
        order(api, "lims-role-access", LIMS_ANSWERS)
    assert counted("line-tablet", TABLET_ANSWERS) == first
    assert counted("line-tablet", {**TABLET_ANSWERS, "scanner": False, "symbology": None}) == first
    # one more item in the cart: its number, its row, its approvals and its note
    with CaptureQueriesContext(connection) as two:
        assert api.post("/requests", {"items": [{"catalog_item": "line-tablet", "answers": TABLET_ANSWERS}] * 2})\
            .status_code == 201  # fmt: skip
    assert len(two) <= first + 6
