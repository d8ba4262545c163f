"""The service-request pages through Django's test client (real database, real actions): the portal's
catalog and order form, "my requests", the approvals a person is asked for (QA signs), and the agents'
request items, fulfilment tasks, the tasks panel in the incident queue and the grants on a CI page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plantdesk.changes.models import Approval, ApprovalState
from plantdesk.core.models import Signature
from plantdesk.requests.models import AccessGrant, FulfilmentTask, RequestItem, ServiceRequest
from plantdesk.requests.tests.conftest import LIMS_ANSWERS, Catalog, order
from plantdesk.testing.fixtures import PASSWORD, client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db


def lims_item(catalog: Catalog) -> str:
    made = order(catalog.api(catalog.plant.requester), "lims-role-access", LIMS_ANSWERS)
    assert made.status_code == 201, made.content
    return str(made.json()["items"][0]["number"])


def open_approval(user: Any, item: str) -> Approval:
    record = RequestItem.objects.get(number=item)
    return Approval.objects.get(record_id=record.pk, approver=user, state=ApprovalState.REQUESTED)


def field_error(page: str, field: str) -> str:
    """The error text shown next to a field (the `_field.html` include's error list after the input)."""
    match = re.search(rf'id="id_{field}".*?class="field-error"[^>]*>(.*?)<', page, re.S)
    return match.group(1).strip() if match else ""


# -- portal: catalog and order form ---------------------------------------------------------------------


def test_catalog_lists_what_the_requester_may_order_by_category(catalog: Catalog) -> None:
    page = text(client_for(catalog.plant.requester).get("/portal/catalog/"))
    assert "Access" in page and "Reports" in page
    assert "LIMS role access" in page and "Report setup" in page
    assert 'href="/portal/catalog/lims-role-access/"' in page
    found = text(client_for(catalog.plant.requester).get("/portal/catalog/?q=report"))
    assert "Report setup" in found and "LIMS role access" not in found
    assert "Request something" in page  # the requester's navigation


def test_order_form_shows_the_questions_and_the_approval_chain(catalog: Catalog) -> None:
    page = text(client_for(catalog.plant.requester).get("/portal/catalog/lims-role-access/"))
    assert "LIMS role access" in page and "GxP: QA approval" in page
    assert 'name="q_role"' in page and 'name="q_justification"' in page
    assert "Approved in turn by: your manager, QA." in page


def test_a_conditional_question_is_hidden_until_its_answer_and_then_required(catalog: Catalog) -> None:
    client = client_for(catalog.plant.requester)
    page = text(client.get("/portal/catalog/report-setup/"))
    assert 'data-show-if="q_scheduled"' in page and 'data-equals="true"' in page
    assert re.search(r'data-question="q_every"[^>]*hidden', page)  # hidden until "scheduled" is yes
    refused = client.post("/portal/catalog/report-setup/", {"q_report": "OEE per shift", "q_scheduled": "true"})
    assert refused.status_code == 400
    assert field_error(text(refused), "q_every")  # next to "How often"
    assert ServiceRequest.objects.count() == 0  # nothing stored
    # Answered "no": the hidden answer the browser might still send is dropped, and the order goes in.
    placed = client.post("/portal/catalog/report-setup/",
                         {"q_report": "OEE per shift", "q_scheduled": "false", "q_every": "daily"})  # fmt: skip
    assert placed.status_code == 303
    item = RequestItem.objects.get()
    assert item.answers == {"report": "OEE per shift", "scheduled": False}
    assert placed["Location"] == f"/portal/requests/{item.number}/"
    assert item.request.source == "portal"


def test_a_bad_answer_is_shown_next_to_its_question_and_nothing_is_stored(catalog: Catalog) -> None:
    client = client_for(catalog.plant.requester)
    refused = client.post("/portal/catalog/lims-role-access/", {"q_role": "superuser", "q_justification": ""})
    assert refused.status_code == 400
    page = text(refused)
    assert field_error(page, "q_role") and field_error(page, "q_justification")
    assert field_error(page, "q_role") == "Must be one of: analyst, reviewer."  # the message the API gives
    assert ServiceRequest.objects.count() == 0 and RequestItem.objects.count() == 0


def test_an_item_outside_the_requesters_audience_is_not_found(catalog: Catalog) -> None:
    assert client_for(catalog.plant.requester).get("/portal/catalog/no-such-item/").status_code == 404


# -- portal: my requests and approvals ------------------------------------------------------------------


def test_my_requests_shows_state_and_who_must_approve(catalog: Catalog) -> None:
    item = lims_item(catalog)
    page = text(client_for(catalog.plant.requester).get("/portal/requests/"))
    assert item in page and "LIMS role access" in page
    assert "Pending approval" in page and catalog.plant.manager.printed_name in page
    assert item not in text(client_for(catalog.plant.requester2).get("/portal/requests/"))  # someone else's


def test_manager_and_qa_approve_in_the_portal_and_qa_signs(catalog: Catalog) -> None:
    p = catalog.plant
    item = lims_item(catalog)
    maria = client_for(p.manager)
    page = text(maria.get("/portal/approvals/"))
    assert item in page and "Role" in page and "analyst" in page  # what is asked for, in words
    mine = open_approval(p.manager, item)
    assert maria.post(f"/portal/approvals/{mine.pk}/decide/", {"decision": "approve"}).status_code == 303
    quinn = client_for(p.qa)
    qa = open_approval(p.qa, item)
    assert "Password (e-signature)" in text(quinn.get("/portal/approvals/"))
    wrong = quinn.post(f"/portal/approvals/{qa.pk}/decide/", {"decision": "approve", "password": "wrong"}, follow=True)
    assert "password" in text(wrong).lower() and Approval.objects.get(pk=qa.pk).state == ApprovalState.REQUESTED
    assert not Signature.objects.filter(record_label=item).exists()
    signed = quinn.post(f"/portal/approvals/{qa.pk}/decide/", {"decision": "approve", "password": PASSWORD})
    assert signed.status_code == 303
    assert Signature.objects.get(record_label=item).meaning == "approved"
    assert RequestItem.objects.get(number=item).state == "in_fulfilment"
    assert f"/portal/approvals/{qa.pk}/decide/" not in text(quinn.get("/portal/approvals/"))


def test_a_rejection_needs_a_reason_and_the_requester_reads_it(catalog: Catalog) -> None:
    p = catalog.plant
    item = lims_item(catalog)
    mine = open_approval(p.manager, item)
    maria = client_for(p.manager)
    refused = maria.post(f"/portal/approvals/{mine.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "Say why the request is rejected." in text(refused)
    assert RequestItem.objects.get(number=item).state == "pending_approval"
    maria.post(f"/portal/approvals/{mine.pk}/decide/", {"decision": "reject", "comment": "Use the reviewer account"})
    page = text(client_for(p.requester).get(f"/portal/requests/{item}/"))
    assert "Rejected" in page and "Use the reviewer account" in page


def test_someone_elses_approval_cannot_be_decided(catalog: Catalog) -> None:
    item = lims_item(catalog)
    mine = open_approval(catalog.plant.manager, item)
    response = client_for(catalog.plant.requester2).post(f"/portal/approvals/{mine.pk}/decide/",
                                                         {"decision": "approve"}, follow=True)  # fmt: skip
    assert "not waiting for you" in text(response)
    assert Approval.objects.get(pk=mine.pk).state == ApprovalState.REQUESTED


def test_the_requester_withdraws_an_open_item(catalog: Catalog) -> None:
    item = lims_item(catalog)
    client = client_for(catalog.plant.requester)
    assert "Withdraw" in text(client.get(f"/portal/requests/{item}/"))
    client.post(f"/portal/requests/{item}/cancel/", {"reason": "Not needed any more"})
    assert RequestItem.objects.get(number=item).state == "canceled"


# -- agent pages ---------------------------------------------------------------------------------------------


def approved(catalog: Catalog) -> str:
    p = catalog.plant
    item = lims_item(catalog)
    client_for(p.manager).post(
        f"/portal/approvals/{open_approval(p.manager, item).pk}/decide/", {"decision": "approve"}
    )
    client_for(p.qa).post(f"/portal/approvals/{open_approval(p.qa, item).pk}/decide/",
                          {"decision": "approve", "password": PASSWORD})  # fmt: skip
    assert RequestItem.objects.get(number=item).state == "in_fulfilment"
    return item


def test_requesters_get_the_agents_only_page(catalog: Catalog) -> None:
    item = lims_item(catalog)
    client = client_for(catalog.plant.requester)
    assert refused_as_agents_only(client.get("/requests/"))
    assert refused_as_agents_only(client.get(f"/requests/{item}/"))
    assert refused_as_agents_only(client.get("/requests/tasks/"))


def test_agent_item_page_shows_answers_approvals_and_tasks(catalog: Catalog) -> None:
    item = approved(catalog)
    client = client_for(catalog.plant.agent)
    listing = text(client.get("/requests/"))
    assert item in listing and "In fulfilment" in listing and ">Requests<" in listing
    page = text(client.get(f"/requests/{item}/"))
    assert "New QC analyst on line 3" in page and "Create the LIMS account" in page
    assert "Approved" in page and "quinn" in page.lower()
    client.post(f"/requests/{item}/comment/", {"body": "Account template chosen", "visibility": "internal"})
    assert "Account template chosen" in text(client.get(f"/requests/{item}/"))
    assert "Account template chosen" not in text(client_for(catalog.plant.requester).get(f"/portal/requests/{item}/"))


def test_tasks_are_worked_stage_by_stage_from_the_task_page(catalog: Catalog) -> None:
    item = approved(catalog)
    alice = client_for(catalog.plant.agent)
    first = FulfilmentTask.objects.get(request_item__number=item, stage=1)
    later = FulfilmentTask.objects.filter(request_item__number=item, stage=2).order_by("id").first()
    assert later is not None
    page = text(alice.get(f"/requests/tasks/{later.number}/"))
    assert "it can be worked once the stage before it is done" in page and "Close complete" not in page
    refused = alice.post(f"/requests/tasks/{later.number}/transition/", {"to": "closed_complete"}, follow=True)
    assert FulfilmentTask.objects.get(pk=later.pk).state == "open" and "stage" in text(refused).lower()
    assert "Close complete" in text(alice.get(f"/requests/tasks/{first.number}/"))
    done = alice.post(f"/requests/tasks/{first.number}/transition/", {"to": "closed_complete"}, follow=True)
    assert "is now Closed complete" in text(done)
    assert FulfilmentTask.objects.get(pk=later.pk).active  # stage 2 reached
    skip = alice.post(f"/requests/tasks/{later.number}/transition/", {"to": "closed_skipped"}, follow=True)
    assert FulfilmentTask.objects.get(pk=later.pk).state == "open" and "notes" in text(skip).lower()


def test_a_task_is_assigned_with_the_pickers(catalog: Catalog) -> None:
    item = approved(catalog)
    task = FulfilmentTask.objects.get(request_item__number=item, stage=1)
    alice = client_for(catalog.plant.agent)
    page = text(alice.get(f"/requests/tasks/{task.number}/"))
    assert 'name="assignment_group"' in page and 'value="MES Support"' in page
    alice.post(f"/requests/tasks/{task.number}/assign/", {"assignment_group": "MES Support", "assignee": "alice"})
    assert FulfilmentTask.objects.get(pk=task.pk).assignee == catalog.plant.agent
    refused = alice.post(f"/requests/tasks/{task.number}/assign/", {"assignment_group": "No Such Group"}, follow=True)
    assert "No Such Group" in text(refused) or "group" in text(refused).lower()
    assert FulfilmentTask.objects.get(pk=task.pk).assignment_group.name == "MES Support"


def test_my_work_queue_shows_the_tasks_beside_the_incidents(catalog: Catalog) -> None:
    item = approved(catalog)
    task = FulfilmentTask.objects.get(request_item__number=item, stage=1)
    page = text(client_for(catalog.plant.agent).get("/incidents/?view=my_work"))
    assert task.number in page and "Create the LIMS account" in page
    other = text(client_for(catalog.plant.ot_agent).get("/incidents/?view=my_work"))
    assert task.number not in other  # OT Engineering is not the task's group


def test_the_ci_page_lists_the_active_grants(catalog: Catalog) -> None:
    item = approved(catalog)
    alice = client_for(catalog.plant.agent)
    for task in FulfilmentTask.objects.filter(request_item__number=item).order_by("stage", "id"):
        alice.post(f"/requests/tasks/{task.number}/transition/", {"to": "closed_complete"})
    grant = AccessGrant.objects.get(request_item__number=item)
    page = text(alice.get("/cmdb/BER-LIMS01/"))
    assert "Active access" in page and catalog.plant.requester.printed_name in page and "analyst" in page
    assert grant.state == "active"


def test_lists_do_not_query_per_row(catalog: Catalog) -> None:
    for _ in range(3):
        approved(catalog)
    agent, requester = client_for(catalog.plant.agent), client_for(catalog.plant.requester)
    counts = {}
    for url, client in (("/requests/", agent), ("/requests/tasks/?show=open", agent),
                        ("/portal/requests/", requester), ("/incidents/?view=my_work", agent)):  # fmt: skip
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        counts[url] = len(few)
    for _ in range(4):
        approved(catalog)
    for url, client in (("/requests/", agent), ("/requests/tasks/?show=open", agent),
                        ("/portal/requests/", requester), ("/incidents/?view=my_work", agent)):  # fmt: skip
        with CaptureQueriesContext(connection) as more:
            client.get(url)
        assert len(more) == counts[url], url
