"""/api/v1/windows: maintenance, blackout and production-run windows (CONTRACT.md section 7), and the import
of production runs from the MES / ERP. Thin: parse, authorise through restrict(), call one action."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.models import Site
from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.changes import window_actions
from plantdesk.changes.containment import windows_for_cis, windows_for_site
from plantdesk.changes.models import Window
from plantdesk.changes.window_input import EARLIEST, LATEST
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core.errors import Forbidden, InvalidInput, NotFound
from plantdesk.core.pagination import bounded_count

windows_router = Router(tags=["changes"])

TIME_HELP = "ISO 8601 with its offset, e.g. 2026-03-28T22:00:00+01:00"


class WindowIn(Schema):
    """A window; PATCH takes any subset (a scope list given replaces the stored one)."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, description="maintenance | blackout | production_run")
    name: str | None = None
    description: str | None = None
    start: datetime | None = Field(None, description=f"The first occurrence's start, {TIME_HELP}")
    end: datetime | None = Field(None, description="The first occurrence's end; after start")
    rrule: str | None = Field(None, description="Optional RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA")
    time_zone: str | None = Field(None, description="IANA zone the rule recurs in; default: the sites' zone")
    cis: list[str] | None = Field(None, description="CI names (a line or site CI covers what it contains)")
    ci_classes: list[str] | None = None
    sites: list[str] | None = Field(None, description="Site codes")
    run_state: str | None = Field(None, description="Production runs: planned | running | held | completed | canceled")
    external_id: str | None = Field(None, description="The source system's id, e.g. the MES job order")


class WindowOut(Schema):
    id: int
    kind: str
    name: str
    description: str
    start: datetime
    end: datetime
    rrule: str
    time_zone: str
    last_end: datetime | None
    cis: list[str]
    ci_classes: list[str]
    sites: list[str]
    run_state: str
    external_id: str
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class WindowList(Schema):
    items: list[WindowOut]
    count: int
    count_exact: bool


class WindowParams(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["maintenance", "blackout", "production_run"] | None = None
    from_: datetime | None = Field(None, alias="from", description="Windows with an occurrence ending after this")
    to: datetime | None = Field(None, description="Windows with an occurrence starting before this")
    ci: str | None = Field(None, max_length=255, description="Windows applying to this CI (name or alias)")
    site: str | None = Field(None, max_length=20, description="Windows applying to something at this site")
    external_id: str | None = Field(None, max_length=120)
    active: bool = Field(True, description="false: the deactivated windows")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000)


class DeactivateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000)


class RunIn(Schema):
    model_config = ConfigDict(extra="forbid")

    equipment: str = Field(..., max_length=255, description="The CI the job runs on (name or alias)")
    start: datetime = Field(..., description=TIME_HELP)
    end: datetime
    state: str = Field(..., description="planned | running | held | completed | canceled")
    external_id: str = Field(..., max_length=120, description="The job order id: re-sending it updates the run")
    name: str | None = Field(None, max_length=160)


class RunOut(Schema):
    external_id: str
    window: int
    result: str


class RunImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    items: list[RunOut]


RELATED = ("cis", "ci_classes", "sites", "created_by")  # read through prefetches and select_related


def window_to_dict(window: Window) -> dict[str, Any]:
    """From the prefetched scopes and the selected creator: no query per window."""
    return {
        **{f: getattr(window, f) for f in WindowOut.model_fields if f not in RELATED},
        "cis": sorted(ci.name for ci in window.cis.all()),
        "ci_classes": sorted(c.name for c in window.ci_classes.all()),
        "sites": sorted(s.code for s in window.sites.all()),
        "created_by": window.created_by.username,
    }


def _loaded(qs: QuerySet[Window]) -> QuerySet[Window]:
    return qs.select_related("created_by").prefetch_related("cis", "ci_classes", "sites")


def _filtered(request: HttpRequest, params: WindowParams) -> QuerySet[Window]:
    qs = restrict(actor_of(request), "view", Window).filter(active=params.active)
    if params.kind:
        qs = qs.filter(kind=params.kind)
    for name, value in (("from", params.from_), ("to", params.to)):
        if value is not None and (value.tzinfo is None or not EARLIEST <= value < LATEST):
            raise InvalidInput.for_field(name, "A time with its offset, between the years 2000 and 2099.")
    if params.from_ and params.to and params.to <= params.from_:
        raise InvalidInput.for_field("to", "Must be after from.")
    if params.from_:
        qs = qs.filter(Q(last_end__isnull=True) | Q(last_end__gt=params.from_))
    if params.to:
        qs = qs.filter(start__lt=params.to)
    if params.external_id:
        qs = qs.filter(external_id=params.external_id)
    if params.ci:
        ci = find_visible_ci(actor_of(request), params.ci)
        if ci is None:
            raise InvalidInput.for_field("ci", f"Unknown CI {params.ci!r}.")
        qs = qs.filter(windows_for_cis([ci.pk]))
    if params.site:
        site = Site.objects.filter(code=params.site).first()
        if site is None:
            raise InvalidInput.for_field("site", f"Unknown site code {params.site!r}.")
        qs = qs.filter(windows_for_site(site.pk))
    return qs


@windows_router.get("", response=WindowList, summary="Windows, by first start")
def list_windows(request: HttpRequest, params: Query[WindowParams]) -> dict[str, Any]:
    qs = _filtered(request, params)
    count, exact = bounded_count(qs)
    rows = _loaded(qs.order_by("start", "id"))[params.offset : params.offset + params.limit]
    return {"items": [window_to_dict(w) for w in rows], "count": count, "count_exact": exact}


@windows_router.post("", response={201: WindowOut}, summary="Plan a maintenance, blackout or production-run window")
def create_window(request: HttpRequest, payload: WindowIn) -> Status[dict[str, Any]]:
    window = window_actions.do_create_window(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, window_to_dict(_window(request, window.pk)))


@windows_router.post("/production-runs", response=RunImportOut, summary="Import production runs (idempotent)")
def import_production_runs(request: HttpRequest, payload: list[RunIn]) -> dict[str, Any]:
    rows = [run.model_dump(exclude_none=True) for run in payload]
    results = window_actions.do_import_production_runs(rows, actor=actor_of(request))
    tally = {kind: sum(1 for r in results if r.result == kind) for kind in ("created", "updated", "unchanged")}
    items = [{"external_id": r.external_id, "window": r.window_id, "result": r.result} for r in results]
    return {**tally, "items": items}


def _window(request: HttpRequest, window_id: int) -> Window:
    window = _loaded(restrict(actor_of(request), "view", Window)).filter(pk=window_id).first()
    if window is None:
        raise NotFound(f"No window {window_id} that you can see.")
    return window


def _changeable(request: HttpRequest, window_id: int) -> Window:
    """404 for a window the user cannot see; 403 for one they see but may not change."""
    window = _window(request, window_id)
    if not restrict(actor_of(request), "change", Window).filter(pk=window_id).exists():
        raise Forbidden("Windows are planned by change managers and administrators.")
    return window


@windows_router.get("/{window_id}", response=WindowOut, summary="One window")
def get_window(request: HttpRequest, window_id: int) -> dict[str, Any]:
    return window_to_dict(_window(request, window_id))


@windows_router.patch("/{window_id}", response=WindowOut, summary="Change a window's fields")
def update_window(request: HttpRequest, window_id: int, payload: WindowIn) -> dict[str, Any]:
    window = _changeable(request, window_id)
    window_actions.do_update_window(window, payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return window_to_dict(_window(request, window_id))


@windows_router.post("/{window_id}/deactivate", response=WindowOut, summary="Deactivate a window (with a reason)")
def deactivate_window(request: HttpRequest, window_id: int, payload: DeactivateIn) -> dict[str, Any]:
    window = _changeable(request, window_id)
    window_actions.do_deactivate_window(window, actor=actor_of(request), reason=payload.reason)
    return window_to_dict(_window(request, window_id))
