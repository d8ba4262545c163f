"""/api/v1/schedules (CONTRACT.md section 6): plant calendars and the `due` calculation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import Forbidden, InvalidInput, NotFound
from plantdesk.slas import actions
from plantdesk.slas.definitions import definition_to_dict
from plantdesk.slas.models import Schedule, SLADefinition
from plantdesk.slas.schedules import calendar_for, schedule_to_dict

schedules_router = Router(tags=["service levels"])
definitions_router = Router(tags=["service levels"])
MAX_DURATION = timedelta(days=3660)
MIN_YEAR, MAX_YEAR = 1990, 2100


class ScheduleOut(Schema):
    name: str
    time_zone: str
    hours: list[dict[str, Any]]
    holidays: dict[str, Any] | None
    extra_closed_days: list[str]
    updated_at: datetime


class ScheduleIn(Schema):
    """Loosely typed on purpose: `schedules.parse_schedule` checks meanings and names the exact field."""

    model_config = ConfigDict(extra="forbid")

    name: Any = None
    time_zone: Any = None
    hours: Any = None
    holidays: Any = None
    extra_closed_days: Any = None


class ScheduleListOut(Schema):
    items: list[ScheduleOut]


class DueParams(Schema):
    model_config = ConfigDict(extra="forbid")

    start: datetime
    duration: timedelta = Field(description="ISO 8601, e.g. PT4H or P2DT4H")


class DueOut(Schema):
    due: datetime


class PeriodsParams(Schema):
    model_config = ConfigDict(extra="forbid")

    start: datetime | None = None
    count: int = Field(10, ge=1, le=200)


class PeriodOut(Schema):
    start: datetime
    end: datetime


class PeriodsOut(Schema):
    items: list[PeriodOut]


def _check_start(start: datetime) -> None:
    """Calendars are built a year at a time: an instant centuries away would build (and keep) centuries."""
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise InvalidInput.for_field("start", f"A year from {MIN_YEAR} to {MAX_YEAR}.")


def _readable(request: HttpRequest) -> None:
    if not actor_of(request).is_fulfiller:
        raise Forbidden("Schedules are for agents and administrators.")


def _schedule(request: HttpRequest, name: str) -> Schedule:
    _readable(request)
    schedule = Schedule.objects.filter(name=name).first()
    if schedule is None:
        raise NotFound(f"Schedule {name} not found.")
    return schedule


@schedules_router.get("", response=ScheduleListOut, summary="List working-time schedules")
def list_schedules(request: HttpRequest) -> dict[str, Any]:
    _readable(request)
    return {"items": [schedule_to_dict(s) for s in Schedule.objects.order_by("name")]}


@schedules_router.post("", response={201: ScheduleOut}, summary="Create a schedule (administrators)")
def create_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[dict[str, Any]]:
    schedule = actions.do_create_schedule(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, schedule_to_dict(schedule))


@schedules_router.get("/{name}", response=ScheduleOut, summary="Get a schedule")
def get_schedule(request: HttpRequest, name: str) -> dict[str, Any]:
    return schedule_to_dict(_schedule(request, name))


@schedules_router.patch("/{name}", response=ScheduleOut, summary="Change a schedule (administrators)")
def patch_schedule(request: HttpRequest, name: str, payload: ScheduleIn) -> dict[str, Any]:
    data = payload.model_dump(exclude_unset=True)
    return schedule_to_dict(actions.do_update_schedule(_schedule(request, name), data, actor=actor_of(request)))


@schedules_router.get("/{name}/due", response=DueOut, summary="When `duration` of working time has passed")
def due(request: HttpRequest, name: str, params: Query[DueParams]) -> dict[str, Any]:
    if params.start.tzinfo is None:
        raise InvalidInput.for_field("start", "Give a time zone offset, e.g. 2026-11-24T10:00:00+01:00.")
    if not timedelta(0) < params.duration <= MAX_DURATION:
        raise InvalidInput.for_field("duration", "Must be more than zero and at most 10 years.")
    _check_start(params.start)
    calendar = calendar_for(_schedule(request, name))
    try:
        return {"due": calendar.due(params.start, params.duration)}
    except ValueError as exc:  # a schedule with too little working time for that duration
        raise InvalidInput.for_field("duration", str(exc)) from exc


@schedules_router.get("/{name}/periods", response=PeriodsOut, summary="The next working periods")
def periods(request: HttpRequest, name: str, params: Query[PeriodsParams]) -> dict[str, Any]:
    from django.utils import timezone

    start = params.start or timezone.now()
    if start.tzinfo is None:
        raise InvalidInput.for_field("start", "Give a time zone offset, e.g. 2026-11-24T10:00:00+01:00.")
    _check_start(start)
    found = calendar_for(_schedule(request, name)).periods(start, params.count)
    return {"items": [{"start": a, "end": b} for a, b in found]}


class DefinitionIn(Schema):
    """Loosely typed on purpose: `definitions.parse_definition` checks meanings and names the field."""

    model_config = ConfigDict(extra="forbid")

    name: Any = None
    kind: Any = None
    target: Any = None
    record_type: Any = None
    duration: Any = None
    schedule: Any = None
    use_location_schedule: Any = None
    conditions: Any = None
    pause_hold_reasons: Any = None
    response_met_by: Any = None
    warnings: Any = None
    breach_actions: Any = None
    active: Any = None


class DefinitionOut(Schema):
    name: str
    kind: str
    target: str
    record_type: str
    duration: timedelta
    schedule: str
    use_location_schedule: bool
    conditions: dict[str, Any]
    pause_hold_reasons: list[str]
    response_met_by: list[str]
    warnings: list[int]
    breach_actions: list[dict[str, Any]]
    active: bool


class DefinitionListOut(Schema):
    items: list[DefinitionOut]


@definitions_router.get("", response=DefinitionListOut, summary="List SLA and OLA definitions")
def list_definitions(request: HttpRequest) -> dict[str, Any]:
    _readable(request)
    rows = SLADefinition.objects.select_related("schedule").order_by("record_type", "target", "name")
    return {"items": [definition_to_dict(d) for d in rows]}


@definitions_router.post("", response={201: DefinitionOut}, summary="Create an SLA or OLA definition (administrators)")
def create_definition(request: HttpRequest, payload: DefinitionIn) -> Status[dict[str, Any]]:
    definition = actions.do_create_definition(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, definition_to_dict(definition))


@definitions_router.patch("/{name}", response=DefinitionOut, summary="Change an SLA or OLA definition (administrators)")
def patch_definition(request: HttpRequest, name: str, payload: DefinitionIn) -> dict[str, Any]:
    _readable(request)
    definition = SLADefinition.objects.select_related("schedule").filter(name=name).first()
    if definition is None:
        raise NotFound(f"SLA definition {name} not found.")
    data = payload.model_dump(exclude_unset=True)
    return definition_to_dict(actions.do_update_definition(definition, data, actor=actor_of(request)))
