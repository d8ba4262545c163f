"""/api/v1/catalog, /requests, /request-items, /tasks and /access-grants (CONTRACT.md section 9): thin
handlers that parse, authorise through restrict() and call one action or query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.core.errors import InvalidInput, NotFound
from plantdesk.core.history import history_for
from plantdesk.core.journal import journal_for
from plantdesk.core.pagination import bounded_count
from plantdesk.incidents.serializers import comment_to_dict
from plantdesk.requests import access, actions, catalog, fulfilment, queries
from plantdesk.requests.choices import GrantState, ItemState, RequestState, Source, TaskState
from plantdesk.requests.models import (
    ITEM_RECORD_TYPE,
    AccessGrant,
    CatalogCategory,
    CatalogItem,
    FulfilmentTask,
    RequestItem,
    ServiceRequest,
)
from plantdesk.requests.schemas import (
    CatalogItemIn,
    CategoryIn,
    ReasonIn,
    RequestIn,
    TaskPatchIn,
    TaskTransitionIn,
    given,
)
from plantdesk.requests.serializers import (
    GRANT_RELATED,
    ITEM_RELATED,
    TASK_RELATED,
    catalog_item_to_dict,
    grant_to_dict,
    items_to_dicts,
    request_to_dict,
    task_to_dict,
)

catalog_router = Router(tags=["service requests"])
requests_router = Router(tags=["service requests"])
items_router = Router(tags=["service requests"])
tasks_router = Router(tags=["service requests"])
grants_router = Router(tags=["service requests"])
Body = dict[str, Any]


class Page(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)


def _page(qs: Any, params: Page, to_dicts: Any) -> Body:
    count, exact = bounded_count(qs)
    return {"items": to_dicts(list(qs[params.offset : params.offset + params.limit])), "count": count,
            "count_exact": exact}  # fmt: skip


def _states(raw: str | None, allowed: list[str], field: str = "state") -> list[str]:
    states = [s.strip() for s in (raw or "").split(",") if s.strip()]
    unknown = [s for s in states if s not in allowed]
    if unknown:
        raise InvalidInput.for_field(field, f"Unknown state {unknown[0]}; use {', '.join(allowed)}.")
    return states


# -- catalog ---------------------------------------------------------------------------------------------


class CatalogParams(Schema):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=60)
    include_inactive: bool = Field(False, description="administrators: the retired items too")


def _catalog_item(request: HttpRequest, name: str) -> CatalogItem:
    actor = actor_of(request)
    qs = restrict(actor, "view", CatalogItem) if actor.is_plantdesk_admin else queries.orderable(actor)
    item = qs.select_related("current", "category").filter(name=name).first()
    if item is None:
        raise NotFound(f"Catalog item {name} not found.")
    return item


@catalog_router.get("/categories", response=Body, summary="Catalog categories")
def list_categories(request: HttpRequest) -> Body:
    rows = restrict(actor_of(request), "view", CatalogCategory)
    return {"items": [{"name": c.name, "title": c.title, "description": c.description, "order": c.order}
                      for c in rows]}  # fmt: skip


@catalog_router.post("/categories", response={201: Body}, summary="Add a catalog category (administrators)")
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[Body]:
    c = catalog.do_create_category(given(request), actor=actor_of(request))
    return Status(201, {"name": c.name, "title": c.title, "description": c.description, "order": c.order})


@catalog_router.get("/items", response=Body, summary="What you may order")
def list_catalog_items(request: HttpRequest, params: Query[CatalogParams]) -> Body:
    actor = actor_of(request)
    qs = queries.orderable(actor)
    if params.include_inactive and actor.is_plantdesk_admin:
        qs = restrict(actor, "view", CatalogItem).filter(current__isnull=False)
    if params.category:
        qs = qs.filter(category__name=params.category)
    rows = qs.select_related("current", "category").prefetch_related("audience_sites", "audience_groups")
    full = actor.is_plantdesk_admin
    return {"items": [catalog_item_to_dict(i, full=full) for i in rows.order_by("category__order", "order", "name")]}


@catalog_router.get("/items/{name}", response=Body, summary="A catalog item with its questions")
def get_catalog_item(request: HttpRequest, name: str) -> Body:
    return catalog_item_to_dict(_catalog_item(request, name), full=actor_of(request).is_plantdesk_admin)


@catalog_router.post("/items", response={201: Body}, summary="Add a catalog item (administrators)")
def create_catalog_item(request: HttpRequest, payload: CatalogItemIn) -> Status[Body]:
    item = catalog.do_create_catalog_item(given(request), actor=actor_of(request))
    return Status(201, catalog_item_to_dict(_catalog_item(request, item.name)))


@catalog_router.patch("/items/{name}", response=Body, summary="Change a catalog item (a new version)")
def update_catalog_item(request: HttpRequest, name: str, payload: CatalogItemIn) -> Body:
    item = _catalog_item(request, name)
    catalog.do_update_catalog_item(item, given(request), actor=actor_of(request))
    return catalog_item_to_dict(_catalog_item(request, name))


# -- requests and items ----------------------------------------------------------------------------------


class RequestListParams(Page):
    state: str | None = Field(None, description="comma-separated states")
    mine: bool = Field(False, description="only what I ordered or was ordered for me")


def _request_dicts(rows: list[ServiceRequest]) -> list[Body]:
    items = RequestItem.objects.filter(request__in=[r.pk for r in rows]).select_related(*ITEM_RELATED)
    by_request: dict[int, list[Body]] = {}
    for item, out in zip(items, items_to_dicts(items), strict=True):
        by_request.setdefault(item.request_id, []).append(out)
    return [request_to_dict(r, by_request.get(r.pk, [])) for r in rows]


def _request(request: HttpRequest, number: str) -> ServiceRequest:
    found = queries.visible_requests(actor_of(request)).select_related("requested_by", "requested_for", "site")
    row = found.filter(number=number).first()
    if row is None:
        raise NotFound(f"Request {number} not found.")
    return row


@requests_router.post("", response={201: Body}, summary="Order catalog items")
def submit_request(request: HttpRequest, payload: RequestIn) -> Status[Body]:
    data = given(request)
    order = actions.do_submit_order(data, actor=actor_of(request), source=Source.API)
    # The answer is built from the rows just written, not read back through visible_requests(): the orderer
    # is the request's requested_by, whom request_scope (and item_scope) always lets read it.
    approvals = order.approvals if all(a.pk for rows in order.approvals.values() for a in rows) else None
    # Only a fulfilled item has an access grant (fulfilment.complete gives it); none is fulfilled at once
    # when every item waits for approval or for its tasks.
    grants: dict[int, AccessGrant] | None = None if any(i.state == ItemState.FULFILLED for i in order.items) else {}
    items = items_to_dicts(order.items, approvals=approvals, grants=grants)
    return Status(201, request_to_dict(order.request, items))


@requests_router.get("", response=Body, summary="Requests you may see, newest first")
def list_requests(request: HttpRequest, params: Query[RequestListParams]) -> Body:
    actor = actor_of(request)
    qs = queries.visible_requests(actor)
    if params.mine:
        qs = qs.filter(pk__in=ServiceRequest.objects.filter(requested_for=actor).values("pk")) | \
            qs.filter(requested_by=actor)  # fmt: skip
    if states := _states(params.state, list(RequestState.values)):
        qs = qs.filter(state__in=states)
    qs = qs.select_related("requested_by", "requested_for", "site").order_by("-opened_at", "-id")
    return _page(qs, params, _request_dicts)


@requests_router.get("/{number}", response=Body, summary="A request with its items")
def get_request(request: HttpRequest, number: str) -> Body:
    return _request_dicts([_request(request, number)])[0]


def _item(request: HttpRequest, number: str) -> RequestItem:
    row = queries.visible_items(actor_of(request)).select_related(*ITEM_RELATED).filter(number=number).first()
    if row is None:
        raise NotFound(f"Request item {number} not found.")
    return row


class ItemListParams(Page):
    state: str | None = Field(None, description="comma-separated states")
    catalog_item: str | None = Field(None, max_length=60)


@items_router.get("", response=Body, summary="Request items you may see, newest first")
def list_items(request: HttpRequest, params: Query[ItemListParams]) -> Body:
    qs = queries.visible_items(actor_of(request))
    if states := _states(params.state, list(ItemState.values)):
        qs = qs.filter(state__in=states)
    if params.catalog_item:
        qs = qs.filter(catalog_item__name=params.catalog_item)
    return _page(qs.select_related(*ITEM_RELATED).order_by("-opened_at", "-id"), params, items_to_dicts)


@items_router.get("/{number}", response=Body, summary="A request item: answers, approvals, stage, access")
def get_item(request: HttpRequest, number: str) -> Body:
    return items_to_dicts([_item(request, number)])[0]


@items_router.get("/{number}/tasks", response=Body, summary="The item's fulfilment tasks")
def item_tasks(request: HttpRequest, number: str) -> Body:
    item = _item(request, number)
    rows = queries.visible_tasks(actor_of(request)).filter(request_item=item).select_related(*TASK_RELATED)
    return {"items": [task_to_dict(t) for t in rows.order_by("stage", "id")]}


@items_router.post("/{number}/cancel", response=Body, summary="Withdraw an item not yet fulfilled")
def cancel_item(request: HttpRequest, number: str, payload: ReasonIn) -> Body:
    actions.do_cancel_item(_item(request, number), actor=actor_of(request), reason=payload.reason)
    return items_to_dicts([_item(request, number)])[0]


@items_router.get("/{number}/comments", response=Body, summary="The item's journal (public only for requesters)")
def item_comments(request: HttpRequest, number: str) -> Body:
    item = _item(request, number)
    entries = journal_for(ITEM_RECORD_TYPE, item.pk, include_internal=actor_of(request).is_fulfiller)
    return {"items": [comment_to_dict(e) for e in entries.select_related("author")]}


@items_router.get("/{number}/history", response=Body, summary="The item's audit trail")
def item_history(request: HttpRequest, number: str) -> Body:
    item = _item(request, number)
    return {"items": history_for(ITEM_RECORD_TYPE, item.pk, include_internal=actor_of(request).is_fulfiller)}


# -- tasks -----------------------------------------------------------------------------------------------


class TaskListParams(Page):
    state: str | None = Field(None, description="comma-separated states")
    assignment_group: str | None = Field(None, max_length=100)
    mine: bool = Field(False, description="my work: open tasks of a stage reached, of my groups or mine")


def _task(request: HttpRequest, number: str) -> FulfilmentTask:
    row = queries.visible_tasks(actor_of(request)).select_related(*TASK_RELATED).filter(number=number).first()
    if row is None:
        raise NotFound(f"Task {number} not found.")
    return row


@tasks_router.get("", response=Body, summary="Fulfilment tasks, oldest first")
def list_tasks(request: HttpRequest, params: Query[TaskListParams]) -> Body:
    actor = actor_of(request)
    qs = queries.open_work(actor) if params.mine else queries.visible_tasks(actor)
    if states := _states(params.state, list(TaskState.values)):
        qs = qs.filter(state__in=states)
    if params.assignment_group:
        qs = qs.filter(assignment_group__name=params.assignment_group)
    qs = qs.select_related(*TASK_RELATED).order_by("opened_at", "id")
    return _page(qs, params, lambda rows: [task_to_dict(t) for t in rows])


@tasks_router.get("/{number}", response=Body, summary="A fulfilment task")
def get_task(request: HttpRequest, number: str) -> Body:
    return task_to_dict(_task(request, number))


@tasks_router.post("/{number}/transitions", response=Body, summary="Work a task (stages in order)")
def transition_task(request: HttpRequest, number: str, payload: TaskTransitionIn) -> Body:
    fulfilment.do_transition_task(_task(request, number), payload.to, actor=actor_of(request), notes=payload.notes)
    return task_to_dict(_task(request, number))


@tasks_router.patch("/{number}", response=Body, summary="Assign a task")
def update_task(request: HttpRequest, number: str, payload: TaskPatchIn) -> Body:
    fulfilment.do_update_task(_task(request, number), given(request), actor=actor_of(request))
    return task_to_dict(_task(request, number))


# -- access grants ---------------------------------------------------------------------------------------


class GrantListParams(Page):
    active: bool | None = None
    system: str | None = Field(None, max_length=255)
    user: str | None = Field(None, max_length=150)
    state: str | None = Field(None, description="comma-separated: active, expired, revoked")


@grants_router.get("", response=Body, summary="Access grants: who may use which system, until when")
def list_grants(request: HttpRequest, params: Query[GrantListParams]) -> Body:
    qs = restrict(actor_of(request), "view", AccessGrant)
    if params.active is not None:
        qs = qs.filter(state=GrantState.ACTIVE) if params.active else qs.exclude(state=GrantState.ACTIVE)
    if states := _states(params.state, list(GrantState.values)):
        qs = qs.filter(state__in=states)
    if params.system:
        qs = qs.filter(system__name=params.system)
    if params.user:
        qs = qs.filter(user__username=params.user)
    qs = qs.select_related(*GRANT_RELATED).order_by("expires_at", "id")
    return _page(qs, params, lambda rows: [grant_to_dict(g) for g in rows])


@grants_router.post("/{grant_id}/revoke", response=Body, summary="End access before its time")
def revoke_grant(request: HttpRequest, grant_id: int, payload: ReasonIn) -> Body:
    actor = actor_of(request)
    grant = restrict(actor, "view", AccessGrant).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound(f"Access grant {grant_id} not found.")
    access.do_revoke_grant(grant, actor=actor, reason=payload.reason)
    return grant_to_dict(AccessGrant.objects.select_related(*GRANT_RELATED).get(pk=grant_id))
