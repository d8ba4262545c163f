"""Catalog items, requests, items, tasks and grants as the API shows them (callers load related rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plantdesk.changes.models import Approval
from plantdesk.incidents.serializers import clock_to_dict
from plantdesk.incidents.serializers import username as _username
from plantdesk.requests.catalog import audience_of
from plantdesk.requests.models import (
    ITEM_RECORD_TYPE,
    AccessGrant,
    CatalogItem,
    FulfilmentTask,
    RequestItem,
    ServiceRequest,
)
from plantdesk.slas.clocks import clocks_of


def catalog_item_to_dict(item: CatalogItem, *, full: bool = True) -> dict[str, Any]:
    v = item.current
    assert v is not None
    out: dict[str, Any] = {
        "name": item.name, "title": v.title, "category": item.category.name, "description": v.description,
        "questions": v.questions, "approval": v.approval or "none", "gxp": v.gxp, "version": v.version,
        "active": item.active, "order": item.order,
    }  # fmt: skip
    if full:
        out.update(tasks=v.tasks, access=v.access, audience=audience_of(item))
    return out


def approval_row(a: Approval) -> dict[str, Any]:
    return {"id": a.pk, "level": a.level, "step": a.step, "approver": a.approver.username, "state": a.state,
            "comment": a.comment or None, "decided_at": a.decided_at,
            "signed": a.signature_id is not None}  # fmt: skip


def item_to_dict(item: RequestItem, approvals: list[Approval] | None = None,
                 grant: AccessGrant | None = None, clocks: list[Any] | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "number": item.number,
        "request": item.request.number,
        "catalog_item": item.catalog_item.name,
        "title": item.version.title,
        "version": item.version.version,
        "quantity": item.quantity,
        "answers": item.answers,
        "state": item.state,
        "approval_level": item.approval_level,
        "approvals": [approval_row(a) for a in approvals or []],
        "stage": item.stage,
        "assignment_group": item.assignment_group.name if item.assignment_group else None,
        "ci": item.ci.name if item.ci else None,
        "site": item.site.code if item.site else None,
        "gxp_relevant": item.gxp_relevant,
        "requested_for": item.request.requested_for.username,
        "rejection_reason": item.rejection_reason or None,
        "access_grant": grant_to_dict(grant) if grant is not None else None,
        "sla": [clock_to_dict(c) for c in clocks or []],
        "opened_at": item.opened_at,
        "updated_at": item.updated_at,
        "closed_at": item.closed_at,
    }


def items_to_dicts(
    items: Iterable[RequestItem], *, approvals: dict[int, list[Approval]] | None = None,
    grants: dict[int, AccessGrant] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Items with their approvals, grants and clocks: a fixed number of queries for any number of items.
    `approvals` (each item's, their approvers loaded, in level order) and `grants` (by item id), when the
    caller has just written them: not read again."""
    rows = list(items)
    ids = [i.pk for i in rows]
    if approvals is None:
        approvals = {}
        for a in Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id__in=ids) \
                .select_related("approver").order_by("level", "id"):  # fmt: skip
            approvals.setdefault(int(a.record_id or 0), []).append(a)
    if grants is None:
        grants = {g.request_item_id: g for g in AccessGrant.objects.filter(request_item__in=ids)
                  .select_related("user", "system", "request_item")}  # fmt: skip
    clocks = clocks_of(ITEM_RECORD_TYPE, ids)
    return [item_to_dict(i, approvals.get(i.pk, []), grants.get(i.pk), clocks.get(i.pk, [])) for i in rows]


ITEM_RELATED = ("request__requested_for", "catalog_item", "version", "assignment_group", "ci", "site")


def request_to_dict(request: ServiceRequest, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "number": request.number,
        "state": request.state,
        "short_description": request.short_description,
        "requested_by": request.requested_by.username,
        "requested_for": request.requested_for.username,
        "site": request.site.code if request.site else None,
        "source": request.source,
        "items": items,
        "opened_at": request.opened_at,
        "updated_at": request.updated_at,
        "closed_at": request.closed_at,
    }


def task_to_dict(task: FulfilmentTask) -> dict[str, Any]:
    return {
        "number": task.number,
        "request_item": task.request_item.number,
        "request": task.request_item.request.number,
        "purpose": task.purpose,
        "stage": task.stage,
        "active": task.active,
        "short_description": task.short_description,
        "state": task.state,
        "assignment_group": task.assignment_group.name if task.assignment_group else None,
        "assignee": _username(task.assignee),
        "site": task.site.code if task.site else None,
        "close_notes": task.close_notes or None,
        "closed_by": _username(task.closed_by),
        "opened_at": task.opened_at,
        "updated_at": task.updated_at,
        "closed_at": task.closed_at,
    }


TASK_RELATED = ("request_item__request", "assignment_group", "assignee", "closed_by", "site")


def grant_to_dict(grant: AccessGrant) -> dict[str, Any]:
    served = grant.reference_change_id or grant.reference_incident_id
    return {
        "id": grant.pk,
        "user": grant.user.username,
        "system": grant.system.name,
        "role": grant.role,
        "granted_at": grant.granted_at,
        "expires_at": grant.expires_at,
        "request_item": grant.request_item.number,
        "state": grant.state,
        "ended_at": grant.ended_at,
        "ended_reason": grant.ended_reason or None,
        "removed_at": grant.removed_at,
        "reference": _reference(grant) if served else None,
    }


def _reference(grant: AccessGrant) -> str:
    ref = grant.reference_change or grant.reference_incident
    return ref.number if ref is not None else ""


GRANT_RELATED = ("user", "system", "request_item", "reference_change", "reference_incident")
