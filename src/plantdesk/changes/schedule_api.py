"""/api/v1/schedule: the change calendar and the next free slot."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.changes import schedule

schedule_router = Router(tags=["changes"])


class ScheduleParams(Schema):
    model_config = ConfigDict(extra="forbid")

    from_: datetime = Field(..., alias="from", description="ISO 8601 with its offset")
    to: datetime = Field(..., description=f"After from; at most {schedule.MAX_RANGE.days} days later")
    site: str | None = Field(None, max_length=20, description="A site code")
    line: str | None = Field(None, max_length=255, description="A line CI: what it contains, and its windows")


class ChangeOut(Schema):
    number: str
    short_description: str
    type: str
    state: str
    planned_start: datetime
    planned_end: datetime
    cis: list[str]
    site: str | None


class OccurrenceOut(Schema):
    window: int
    kind: str
    name: str
    run_state: str
    start: datetime
    end: datetime
    time_zone: str


class ChangeScheduleOut(Schema):
    from_: datetime = Field(..., alias="from")
    to: datetime
    site: str | None
    line: str | None
    time_zone: str | None = Field(..., description="The site's or line's zone, for showing the times")
    changes: list[ChangeOut]
    windows: list[OccurrenceOut]


@schedule_router.get("/changes", response=ChangeScheduleOut, by_alias=True, summary="Changes and windows in a range")
def schedule_changes(request: HttpRequest, params: Query[ScheduleParams]) -> dict[str, Any]:
    user = actor_of(request)
    scope = schedule.resolve_scope(user, params.site, params.line)
    found = schedule.schedule_for(user, params.from_, params.to, scope)
    return {
        "from": params.from_.astimezone(UTC),
        "to": params.to.astimezone(UTC),
        "site": scope.site.code if scope.site else None,
        "line": scope.line.name if scope.line else None,
        "time_zone": scope.time_zone,
        "changes": [asdict(c) for c in found.changes],
        "windows": [asdict(o) for o in found.windows],
    }


class SlotParams(Schema):
    model_config = ConfigDict(extra="forbid")

    cis: str = Field(..., max_length=5000, description="CI names, comma-separated")
    duration_minutes: int = Field(..., ge=1, le=int(schedule.MAX_DURATION.total_seconds() // 60))
    after: datetime | None = Field(None, description="Not before this (ISO 8601 with its offset); default now")
    assignee: str | None = Field(None, max_length=150, description="A username: their other changes count too")
    type: Literal["standard", "normal", "emergency"] = Field("normal", description="normal: CAB lead time applies")


class SlotOut(Schema):
    start: datetime
    end: datetime
    duration_minutes: int
    cis: list[str]
    assignee: str | None
    earliest: datetime = Field(..., description="The first moment considered (after, now, CAB lead time)")
    checked: int = Field(..., description="Candidate slots checked for conflicts")


@schedule_router.get("/next-slot", response=SlotOut, summary="The earliest conflict-free slot of a length")
def next_slot(request: HttpRequest, params: Query[SlotParams]) -> dict[str, Any]:
    slot = schedule.find_slot(actor_of(request), cis=params.cis.split(","), duration_minutes=params.duration_minutes,
                              after=params.after, assignee=params.assignee, change_type=params.type)  # fmt: skip
    return asdict(slot)
