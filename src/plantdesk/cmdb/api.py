"""/api/v1/cis, /ci-classes and /relationships (CONTRACT.md section 4)."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.cmdb import actions, queries, uploads
from plantdesk.cmdb.impact import MAX_DEPTH, impact
from plantdesk.cmdb.models import ConfigurationItem, Relationship
from plantdesk.cmdb.schemas import (
    CIClassListOut,
    CIIn,
    CIListOut,
    CIOut,
    Direction,
    ImpactOut,
    ImportOut,
    RelationshipIn,
    RelationshipListOut,
    RelationshipOut,
    RetireIn,
)
from plantdesk.cmdb.serializers import ci_to_dict, impact_to_dict, relationship_to_dict
from plantdesk.core.errors import NotFound
from plantdesk.core.pagination import bounded_count

cis_router = Router(tags=["cmdb"])
classes_router = Router(tags=["cmdb"])
relationships_router = Router(tags=["cmdb"])


class CIListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)
    ci_class: str | None = Field(None, max_length=40)
    site: str | None = Field(None, max_length=20)
    status: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=200)


class ImpactParams(Schema):
    direction: Direction = "downstream"
    depth: int = Field(10, ge=1, le=MAX_DEPTH)
    limit: int = Field(10_000, ge=1, le=200_000)


def _ci(request: HttpRequest, name: str) -> ConfigurationItem:
    ci = queries.get_visible_ci(actor_of(request), name)
    if ci is None:
        raise NotFound(f"CI {name} not found.")
    return ci


@cis_router.get("", response=CIListOut, summary="List configuration items")
def list_cis(request: HttpRequest, params: Query[CIListParams]) -> dict[str, Any]:
    filters = queries.CIFilters(ci_class=params.ci_class, site=params.site, status=params.status, q=params.q)
    qs = queries.filter_cis(queries.visible_cis(actor_of(request)), filters).order_by("name")
    count, exact = bounded_count(qs)
    page = qs.prefetch_related("aliases").select_related("owner")[params.offset : params.offset + params.limit]
    return {"items": [ci_to_dict(ci) for ci in page], "count": count, "count_exact": exact}


@cis_router.post("", response={201: CIOut}, summary="Create a configuration item")
def create_ci(request: HttpRequest, payload: CIIn) -> Status[dict[str, Any]]:
    ci = actions.do_create_ci(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, ci_to_dict(_ci(request, ci.name)))


class ImportParams(Schema):
    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "json"] | None = None
    dry_run: bool = False


@cis_router.post("/import", response=ImportOut, summary="Import CIs and relationships (CSV or JSON), all or nothing")
def import_cis(request: HttpRequest, params: Query[ImportParams]) -> dict[str, Any]:
    """The file is the request body (text/csv or application/json) or a multipart `file` field.

    Declared before `/{name}` so that the path is not read as a CI name.
    """
    upload = request.FILES.get("file") if request.content_type == "multipart/form-data" else None
    if upload is not None:
        raw, filename = upload.read(uploads.MAX_IMPORT_BYTES + 1), upload.name or ""
    else:
        raw, filename = request.read(uploads.MAX_IMPORT_BYTES + 1), ""  # not .body: no 2.5 MB in-memory cap
    fmt = uploads.format_of(filename, request.content_type or "", params.format)
    report = uploads.run_import(raw, fmt, actor=actor_of(request), dry_run=params.dry_run)
    return uploads.report_to_dict(report, dry_run=params.dry_run)


@cis_router.get("/{name}", response=CIOut, summary="Get a configuration item")
def get_ci(request: HttpRequest, name: str) -> dict[str, Any]:
    return ci_to_dict(_ci(request, name))


@cis_router.patch("/{name}", response=CIOut, summary="Change a configuration item")
def patch_ci(request: HttpRequest, name: str, payload: CIIn) -> dict[str, Any]:
    updated = actions.do_update_ci(_ci(request, name), payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return ci_to_dict(_ci(request, updated.name))


@cis_router.post("/{name}/retire", response=CIOut, summary="Retire a configuration item (never deleted)")
def retire_ci(request: HttpRequest, name: str, payload: RetireIn) -> dict[str, Any]:
    actions.do_retire_ci(_ci(request, name), payload.reason, actor=actor_of(request))
    return ci_to_dict(_ci(request, name))


@cis_router.get("/{name}/impact", response=ImpactOut, summary="What a failure impacts, or what a CI needs")
def ci_impact(request: HttpRequest, name: str, params: Query[ImpactParams]) -> dict[str, Any]:
    root = _ci(request, name)
    return impact_to_dict(impact(root, params.direction, params.depth, params.limit))


@classes_router.get("", response=CIClassListOut, summary="The CI class catalog with attribute schemas")
def list_classes(request: HttpRequest) -> dict[str, Any]:
    classes = sorted(queries.ci_classes().values(), key=lambda c: (c.family, c.name))
    return {
        "items": [
            {"name": c.name, "label": c.label, "family": c.family, "attribute_schema": c.attribute_schema}
            for c in classes
        ]
    }


@relationships_router.get("", response=RelationshipListOut, summary="Relationships of a CI")
def list_relationships(request: HttpRequest, ci: str = Query(..., max_length=255)) -> dict[str, Any]:
    root = _ci(request, ci)
    visible = queries.visible_cis(actor_of(request))
    rows = queries.relationships_of(root).filter(Q(source__in=visible) & Q(target__in=visible))
    return {"items": [relationship_to_dict(r) for r in rows]}


@relationships_router.post("", response={201: RelationshipOut}, summary="Relate two CIs")
def create_relationship(request: HttpRequest, payload: RelationshipIn) -> Status[dict[str, Any]]:
    relationship = actions.do_create_relationship(payload.source, payload.type, payload.target, actor=actor_of(request))
    return Status(201, relationship_to_dict(relationship))


@relationships_router.delete("/{relationship_id}", response={204: None}, summary="Remove a relationship")
def delete_relationship(request: HttpRequest, relationship_id: int) -> Status[None]:
    relationship = (
        Relationship.objects.select_related("source", "target", "type")
        .filter(pk=relationship_id, source__in=queries.visible_cis(actor_of(request)))
        .first()
    )
    if relationship is None:
        raise NotFound(f"Relationship {relationship_id} not found.")
    actions.do_delete_relationship(relationship, actor=actor_of(request))
    return Status(204, None)
