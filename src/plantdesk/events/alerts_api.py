"""/api/v1/alerts (CONTRACT.md section 5), silences and maintenance windows; replay of dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.changes.choices import WindowKind
from plantdesk.changes.models import Window
from plantdesk.changes.window_actions import do_put_in_maintenance
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core.errors import Forbidden, NotFound
from plantdesk.core.pagination import bounded_count
from plantdesk.events import actions
from plantdesk.events.models import Alert, Silence

alerts_router = Router(tags=["events"])
silences_router = Router(tags=["events"])
maintenance_router = Router(tags=["events"])


class AlertOut(Schema):
    id: int
    dedup_key: str
    state: str
    severity: str
    count: int
    first_seen: datetime
    last_seen: datetime
    ci: str | None
    incident: str | None
    request: str | None = None  # what an open_request rule opened: the request and its item
    request_item: str | None = None
    source: str
    node: str
    resource: str
    type: str
    metric: str
    message: str
    site: str | None
    area: str
    flapping: bool
    suppressed: str
    parent: int | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    reopen_count: int
    severity_changes: int


class AlertList(Schema):
    items: list[AlertOut]
    count: int
    count_exact: bool


class AlertParams(Schema):
    model_config = ConfigDict(extra="forbid")

    state: Literal["open", "closed"] | None = None
    ci: str | None = Field(None, max_length=255, description="a CI name or alias; `none` for unbound alerts")
    severity: Literal["critical", "major", "minor", "warning", "info"] | None = None
    site: str | None = Field(None, max_length=20)
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000)


def visible_alerts(request: HttpRequest) -> QuerySet[Alert]:
    return restrict(actor_of(request), "view", Alert).select_related(
        "ci", "site", "incident", "acknowledged_by", "request_item__request"
    )


RELATED = {
    "ci",
    "incident",
    "site",
    "parent",
    "acknowledged_by",
    "request",
    "request_item",
}  # read through their ids or select_related


def alert_to_dict(alert: Alert) -> dict[str, Any]:
    return {
        **{f: getattr(alert, f) for f in AlertOut.model_fields if f not in RELATED},
        "ci": alert.ci.name if alert.ci else None,
        "incident": alert.incident.number if alert.incident else None,
        "request": alert.request_item.request.number if alert.request_item else None,
        "request_item": alert.request_item.number if alert.request_item else None,
        "site": alert.site.code if alert.site else None,
        "parent": alert.parent_id,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by else None,
    }


@alerts_router.get("", response=AlertList, summary="Alerts, newest activity first")
def list_alerts(request: HttpRequest, params: Query[AlertParams]) -> dict[str, Any]:
    qs = visible_alerts(request)
    if params.state:
        qs = qs.filter(state=params.state)
    if params.severity:
        qs = qs.filter(severity=params.severity)
    if params.site:
        qs = qs.filter(site__code=params.site)
    if params.ci == "none":
        qs = qs.filter(ci__isnull=True)
    elif params.ci:
        ci = find_visible_ci(actor_of(request), params.ci)
        qs = qs.filter(ci=ci) if ci is not None else qs.none()
    count, exact = bounded_count(qs)
    rows = qs.order_by("-last_seen", "-id")[params.offset : params.offset + params.limit]
    return {"items": [alert_to_dict(a) for a in rows], "count": count, "count_exact": exact}


def _alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = visible_alerts(request).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(f"No alert {alert_id} that you can see.")
    return alert


@alerts_router.get("/{alert_id}", response=AlertOut, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    return alert_to_dict(_alert(request, alert_id))


@alerts_router.post("/{alert_id}/acknowledge", response=AlertOut, summary="Acknowledge an open alert")
def acknowledge_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    actions.do_acknowledge_alert(_alert(request, alert_id), actor=actor_of(request))
    return alert_to_dict(_alert(request, alert_id))


class SilenceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    matchers: Any = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    comment: Any = None


class SilenceOut(Schema):
    id: int
    matchers: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    comment: str
    created_by: str
    expired_early_at: datetime | None


class SilenceList(Schema):
    items: list[SilenceOut]


def silence_to_dict(silence: Silence) -> dict[str, Any]:
    return {**{f: getattr(silence, f) for f in SilenceOut.model_fields if f != "created_by"},
            "created_by": silence.created_by.username}  # fmt: skip


def _fulfiller(request: HttpRequest) -> None:
    if not actor_of(request).is_fulfiller:
        raise Forbidden("Silences and maintenance windows are for agents and administrators.")


@silences_router.get("", response=SilenceList, summary="Silences that have not ended")
def list_silences(request: HttpRequest) -> dict[str, Any]:
    _fulfiller(request)
    rows = restrict(actor_of(request), "view", Silence).filter(
        ends_at__gt=timezone.now(), expired_early_at__isnull=True
    )
    return {"items": [silence_to_dict(s) for s in rows.select_related("created_by").order_by("ends_at")]}


@silences_router.post("", response={201: SilenceOut}, summary="Silence matching alerts for a while")
def create_silence(request: HttpRequest, payload: SilenceIn) -> Status[dict[str, Any]]:
    silence = actions.do_create_silence(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, silence_to_dict(silence))


@silences_router.post("/{silence_id}/expire", response=SilenceOut, summary="End a silence now")
def expire_silence(request: HttpRequest, silence_id: int) -> dict[str, Any]:
    _fulfiller(request)
    silence = restrict(actor_of(request), "change", Silence).select_related("created_by").filter(pk=silence_id).first()
    if silence is None:
        raise NotFound(f"No silence {silence_id}.")
    return silence_to_dict(actions.do_expire_silence(silence, actor=actor_of(request)))


class MaintenanceWindowIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ci: Any = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reason: Any = None


class MaintenanceWindowOut(Schema):
    id: int = Field(description="The window's id in /api/v1/windows")
    ci: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str


class MaintenanceWindowList(Schema):
    items: list[MaintenanceWindowOut]


# /maintenance-windows is the events issue's API, kept for its clients as a filtered view of change
# enablement's windows: one-off maintenance windows on one CI (docs/events.md). /api/v1/windows is the whole.


@maintenance_router.get(
    "", response=MaintenanceWindowList, summary="One-off maintenance windows on one CI that have not ended"
)
def list_maintenance_windows(request: HttpRequest) -> dict[str, Any]:
    _fulfiller(request)
    rows = (
        restrict(actor_of(request), "view", Window)
        .filter(kind=WindowKind.MAINTENANCE, active=True, rrule="", end__gt=timezone.now())
        .select_related("created_by")
        .prefetch_related("cis", "ci_classes", "sites")
        .order_by("end", "id")
    )
    return {"items": [window_to_dict(w) for w in rows if _one_ci_alone(w)]}


@maintenance_router.post(
    "", response={201: MaintenanceWindowOut}, summary="Put a CI in maintenance: alerts, no incidents"
)
def create_window(request: HttpRequest, payload: MaintenanceWindowIn) -> Status[dict[str, Any]]:
    window = do_put_in_maintenance(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, window_to_dict(window))


def _one_ci_alone(window: Window) -> bool:
    """What the legacy shape can show: one CI alone (no classes, no sites, not several CIs)."""
    return len(window.cis.all()) == 1 and not window.ci_classes.all() and not window.sites.all()


def window_to_dict(window: Window) -> dict[str, Any]:
    return {"id": window.pk, "ci": window.cis.all()[0].name, "starts_at": window.start, "ends_at": window.end,
            "reason": window.description, "created_by": window.created_by.username}  # fmt: skip
