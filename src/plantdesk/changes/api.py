"""/api/v1/changes and /api/v1/approvals (CONTRACT.md section 7): thin handlers that parse, authorise
through restrict() and call one action or query."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.changes import actions, queries, signing
from plantdesk.changes.choices import ApprovalState, ChangeType, State
from plantdesk.changes.models import RECORD_TYPE, Approval, ChangeRequest, ChangeTask, StandardChangeTemplate
from plantdesk.changes.schemas import (
    CausedIncidentIn,
    ChangeCreateIn,
    ChangePatchIn,
    ChangeTransitionIn,
    DecisionIn,
    OverrideIn,
    SignIn,
    TaskIn,
)
from plantdesk.changes.serializers import (
    approval_to_dict,
    change_to_dict,
    changes_to_dicts,
    signature_to_dict,
    task_to_dict,
)
from plantdesk.core.errors import Conflict, InvalidInput, NotFound
from plantdesk.core.history import history_for
from plantdesk.core.pagination import bounded_count
from plantdesk.core.signatures import signatures_of

changes_router = Router(tags=["changes"])
approvals_router = Router(tags=["changes"])
Body = dict[str, Any]


class ChangeListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)
    state: str | None = Field(None, description="comma-separated states")
    type: str | None = None
    site: str | None = None
    ci: str | None = None
    q: str | None = Field(None, max_length=200)


def _visible(request: HttpRequest, number: str) -> ChangeRequest:
    change = queries.get_visible(actor_of(request), number)
    if change is None:
        raise NotFound(f"Change {number} not found.")
    return change


@changes_router.get("", response=Body, summary="List changes")
def list_changes(request: HttpRequest, params: Query[ChangeListParams]) -> Body:
    qs = queries.filter_changes(queries.visible_changes(actor_of(request)), **_filters(params))
    count, exact = bounded_count(qs)
    page = queries.with_related(qs.order_by("-opened_at", "-id"))[params.offset : params.offset + params.limit]
    return {"items": changes_to_dicts(page), "count": count, "count_exact": exact}


def _filters(params: ChangeListParams) -> dict[str, Any]:
    states = [s.strip() for s in (params.state or "").split(",") if s.strip()]
    bad = [s for s in states if s not in State.values]
    if bad:
        raise InvalidInput.for_field("state", f"Unknown state {bad[0]!r}; use {', '.join(State.values)}.")
    if params.type and params.type not in ChangeType.values:
        raise InvalidInput.for_field("type", f"Use one of {', '.join(ChangeType.values)}.")
    return {"states": states, "type": params.type, "site": params.site, "ci": params.ci, "q": params.q}


@changes_router.post("", response={201: Body}, summary="Create a change request")
def create_change(request: HttpRequest, payload: ChangeCreateIn) -> Status[Body]:
    change = actions.do_create_change(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, change_to_dict(_visible(request, change.number)))


@changes_router.get("/templates", response=Body, summary="The standard-change catalog")
def list_templates(request: HttpRequest) -> Body:
    rows = restrict(actor_of(request), "view", StandardChangeTemplate).filter(active=True).order_by("name")
    return {
        "items": [
            {"name": t.name, "short_description": t.short_description, "risk": t.risk, "ot_tasks": t.ot_tasks}
            for t in rows
        ]
    }


@changes_router.get("/stats", response=Body, summary="Closed changes by review outcome, and the success rate")
def change_stats(request: HttpRequest) -> Body:
    return queries.success_rate(queries.visible_changes(actor_of(request)))


def _etag(change: ChangeRequest) -> str:
    return f'"{int(change.updated_at.timestamp() * 1_000_000)}"'


@changes_router.get("/{number}", response=Body, summary="Get a change (with an ETag for If-Match)")
def get_change(request: HttpRequest, number: str, response: HttpResponse) -> Body:
    change = _visible(request, number)
    response["ETag"] = _etag(change)
    return change_to_dict(change)


@changes_router.patch("/{number}", response=Body, summary="Change fields; a signed field voids its signatures")
def patch_change(request: HttpRequest, number: str, payload: ChangePatchIn, response: HttpResponse) -> Body:
    change = _visible(request, number)
    if_match = request.headers.get("If-Match")
    if if_match and if_match not in ("*", _etag(change)):
        raise Conflict("The change was changed by someone else since you read it; reload it and try again.")
    actions.do_update_change(
        change, payload.model_dump(exclude_unset=True), actor=actor_of(request), expected_updated_at=change.updated_at
    )
    fresh = _visible(request, number)
    response["ETag"] = _etag(fresh)
    return change_to_dict(fresh)


@changes_router.post("/{number}/transitions", response=Body, summary="Move a change (409 with the reasons)")
def transition_change(request: HttpRequest, number: str, payload: ChangeTransitionIn) -> Body:
    actions.do_transition_change(_visible(request, number), payload.to, actor=actor_of(request), reason=payload.reason)
    return change_to_dict(_visible(request, number))


@changes_router.get("/{number}/conflicts", response=Body, summary="The conflicts found by the last check")
def list_conflicts(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    items = [
        {k: v for k, v in c.items() if k != "kind_label"} for c in queries.conflicts_for(actor_of(request), change)
    ]
    return {
        "items": items,
        "checked_at": change.conflicts_checked_at,
        "override_reason": change.override_reason,
    }


@changes_router.post("/{number}/conflicts/check", response=Body, summary="Check the change's conflicts again")
def check_conflicts(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    actions.do_check_conflicts(change, actor=actor_of(request))
    return list_conflicts(request, number)


@changes_router.post(
    "/{number}/conflicts/override", response={201: Body}, summary="Sign an override of the current conflicts"
)
def override_conflicts(request: HttpRequest, number: str, payload: OverrideIn) -> Status[Body]:
    change = _visible(request, number)
    sig = signing.do_override_conflicts(
        change, actor=actor_of(request), password=payload.password, reason=payload.reason, request=request
    )
    return Status(201, signature_to_dict(sig))


def _approvals(change: ChangeRequest) -> list[Approval]:
    return list(
        change.approvals.select_related("change", "group", "approver", "signature").order_by("round", "level", "id")
    )


@changes_router.get("/{number}/approvals", response=Body, summary="The approvals of a change, every round")
def list_change_approvals(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    return {"items": [approval_to_dict(a) for a in _approvals(change)], "approval": change.approval}


@changes_router.get("/{number}/signatures", response=Body, summary="The e-signatures given on a change")
def list_signatures(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    return {"items": [signature_to_dict(s) for s in signatures_of(RECORD_TYPE, change.pk)]}


@changes_router.post("/{number}/signatures", response={201: Body}, summary="Sign the change (QA)")
def sign_change(request: HttpRequest, number: str, payload: SignIn) -> Status[Body]:
    change = _visible(request, number)
    sig = signing.do_sign_change(
        change, payload.purpose, actor=actor_of(request), password=payload.password, meaning=payload.meaning,
        comment=payload.comment, request=request,
    )  # fmt: skip
    return Status(201, signature_to_dict(sig))


@changes_router.get("/{number}/tasks", response=Body, summary="The change tasks")
def list_tasks(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    return {"items": [task_to_dict(t) for t in change.tasks.select_related("done_by").order_by("order")]}


@changes_router.post("/{number}/tasks/{task_id}", response=Body, summary="Complete, skip or reopen a task")
def update_task(request: HttpRequest, number: str, task_id: int, payload: TaskIn) -> Body:
    change = _visible(request, number)
    task = ChangeTask.objects.filter(change=change, pk=task_id).select_related("change").first()
    if task is None:
        raise NotFound(f"Task {task_id} of {number} not found.")
    updated = actions.do_update_task(task, payload.state, actor=actor_of(request), notes=payload.notes)
    return task_to_dict(updated)


@changes_router.get("/{number}/caused-incidents", response=Body, summary="Incidents caused by the change")
def list_caused_incidents(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    rows = change.caused_incidents.order_by("number").values_list("number", "short_description", "state")
    return {"items": [{"number": n, "short_description": s, "state": st} for n, s, st in rows]}


@changes_router.post("/{number}/caused-incidents", response={201: Body}, summary="Link an incident it caused")
def link_caused_incident(request: HttpRequest, number: str, payload: CausedIncidentIn) -> Status[Body]:
    change = _visible(request, number)
    actions.do_link_caused_incident(change, payload.incident, actor=actor_of(request))
    return Status(201, list_caused_incidents(request, number))


@changes_router.get("/{number}/history", response=Body, summary="Every recorded change of a change request")
def change_history(request: HttpRequest, number: str) -> Body:
    change = _visible(request, number)
    return {"items": history_for(RECORD_TYPE, change.pk, include_internal=True)}


class ApprovalListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    state: str = Field("requested")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)


@approvals_router.get("", response=Body, summary="My approvals (default: awaiting my decision)")
def my_approvals(request: HttpRequest, params: Query[ApprovalListParams]) -> Body:
    if params.state not in ApprovalState.values:
        raise InvalidInput.for_field("state", f"Use one of {', '.join(ApprovalState.values)}.")
    qs = restrict(actor_of(request), "change", Approval).filter(state=params.state)
    count, exact = bounded_count(qs)
    page = qs.select_related("change", "group", "approver", "signature").order_by("change__planned_start", "id")
    return {
        "items": [approval_to_dict(a) for a in page[params.offset : params.offset + params.limit]],
        "count": count,
        "count_exact": exact,
    }


@approvals_router.post("/{approval_id}/decision", response=Body, summary="Approve or reject (signed where required)")
def decide(request: HttpRequest, approval_id: int, payload: DecisionIn) -> Body:
    approval = signing.visible_approval(actor_of(request), approval_id)
    signing.do_decide_approval(
        approval, payload.decision, actor=actor_of(request), comment=payload.comment, password=payload.password,
        meaning=payload.meaning, request=request,
    )  # fmt: skip
    fresh = Approval.objects.select_related("change", "group", "approver", "signature").get(pk=approval_id)
    return approval_to_dict(fresh)
