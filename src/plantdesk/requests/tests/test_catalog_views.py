"""The administrators' catalog editor through Django's test client: create an item with a conditional question
and a task, preview it as requesters will see it, see an error next to its row, edit it into a new version
that orders already placed do not follow."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.requests.models import CatalogItem, RequestItem
from plantdesk.requests.tests.conftest import Catalog, order
from plantdesk.testing.fixtures import client_for, refused_as_agents_only, text

pytestmark = pytest.mark.django_db


def filled(**extra: Any) -> dict[str, Any]:
    body = {
        "name": "badge-printer", "category": "access", "title": "Badge printer ribbon", "order": "10",
        "description": "Ribbons for the gatehouse badge printer", "active": "on", "approval": "manager",
        "question_rows": "3", "task_rows": "2",
        "q-0-label": "Urgent?", "q-0-name": "urgent", "q-0-type": "boolean",
        "q-1-label": "Why so urgent", "q-1-name": "why", "q-1-type": "text", "q-1-required": "on",
        "q-1-show_if": "urgent", "q-1-equals": "yes",
        "t-0-stage": "1", "t-0-short_description": "Send the ribbon", "t-0-assignment_group": "Service Desk",
    }  # fmt: skip
    body.update(extra)
    return body


def test_only_administrators_edit_the_catalog(catalog: Catalog) -> None:
    assert client_for(catalog.plant.agent).get("/requests/catalog/").status_code == 403
    assert refused_as_agents_only(client_for(catalog.plant.requester).get("/requests/catalog/"))
    page = text(client_for(catalog.plant.admin).get("/requests/catalog/"))
    assert "LIMS role access" in page and 'href="/requests/catalog/new/"' in page


def test_preview_shows_the_order_form_without_saving(catalog: Catalog) -> None:
    admin = client_for(catalog.plant.admin)
    page = text(admin.post("/requests/catalog/new/", filled(preview="1")))
    assert 'data-testid="order-preview"' in page and "Badge printer ribbon" in page
    assert 'name="q_urgent"' in page and 'data-show-if="q_urgent"' in page and 'data-equals="true"' in page
    assert "Approved in turn by: your manager." in page
    assert not CatalogItem.objects.filter(name="badge-printer").exists()


def test_a_bad_row_is_refused_next_to_it_and_nothing_is_saved(catalog: Catalog) -> None:
    admin = client_for(catalog.plant.admin)
    response = admin.post("/requests/catalog/new/", filled(**{"q-1-show_if": "nothing_before", "save": "1",
                                                              "t-0-assignment_group": "No Such Group"}))  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    assert 'id="id_q-1-show_if_error"' in page and "Name a question asked before this one." in page
    assert 'id="id_t-0-assignment_group_error"' in page and "Unknown group: No Such Group." in page
    assert not CatalogItem.objects.filter(name="badge-printer").exists()


def test_create_then_edit_makes_a_new_version_orders_keep_theirs(catalog: Catalog) -> None:
    admin = client_for(catalog.plant.admin)
    created = admin.post("/requests/catalog/new/", filled(save="1"))
    assert created.status_code == 303, text(created)
    item = CatalogItem.objects.select_related("current").get(name="badge-printer")
    assert item.current is not None and item.current.version == 1
    assert item.current.questions[1]["show_if"] == {"question": "urgent", "equals": True}
    assert item.current.tasks == [{"stage": 1, "short_description": "Send the ribbon",
                                   "assignment_group": "Service Desk"}]  # fmt: skip
    placed = order(catalog.api(catalog.plant.requester), "badge-printer", {"urgent": False})
    assert placed.status_code == 201, placed.content
    page = text(admin.get("/requests/catalog/badge-printer/"))
    assert 'value="Why so urgent"' in page and "Version 1" in page
    edited = filled(**{"q-0-label": "Is it urgent?", "save": "1", "question_rows": "5"})
    del edited["name"]
    assert admin.post("/requests/catalog/badge-printer/", edited).status_code == 303
    item.refresh_from_db()
    assert (
        item.current is not None and item.current.version == 2 and item.current.questions[0]["label"] == "Is it urgent?"
    )
    ordered = RequestItem.objects.get(request__number=placed.json()["number"])
    assert ordered.version.version == 1 and ordered.version.questions[0]["label"] == "Urgent?"
    assert "Is it urgent?" in text(client_for(catalog.plant.requester).get("/portal/catalog/badge-printer/"))


def test_saving_an_unchanged_item_keeps_its_version_and_its_access(catalog: Catalog) -> None:
    from plantdesk.requests.catalog_form import initial_for

    item = CatalogItem.objects.select_related("current", "category").get(name="lims-role-access")
    initial, question_rows, task_rows = initial_for(item)
    data: dict[str, Any] = {"question_rows": question_rows, "task_rows": task_rows, "save": "1"}
    for key, value in initial.items():
        if key == "name" or value in (None, False):
            continue
        data[key] = "on" if value is True else value
    response = client_for(catalog.plant.admin).post("/requests/catalog/lims-role-access/", data)
    assert response.status_code == 303, text(response)
    item.refresh_from_db()
    assert item.current is not None and item.current.version == 1
    assert item.current.access == {"system": "BER-LIMS01", "role": "{role}", "max_days": 90}
