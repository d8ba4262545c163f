"""API payloads of CONTRACT.md section 3. Unknown fields are refused (extra='forbid')."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool

from plantdesk.core.api_types import WHOLE_NUMBER
from plantdesk.incidents.choices import HoldReason, Source, State

LevelValue = Annotated[int, Field(ge=1, le=3, description="1 (high) .. 3 (low)"), WHOLE_NUMBER]
StateValue = Literal["new", "in_progress", "on_hold", "resolved", "closed", "canceled"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class IncidentCreateIn(Strict):
    short_description: Annotated[str, Field(min_length=1, max_length=160)]
    description: Annotated[str, Field(max_length=20000)] = ""
    impact: LevelValue = 2
    urgency: LevelValue = 2
    category: Annotated[str, Field(max_length=40)] = ""
    ci: Annotated[str | None, Field(max_length=255)] = None
    caller: Annotated[str | None, Field(max_length=150)] = None
    assignment_group: Annotated[str | None, Field(max_length=100)] = None
    assignee: Annotated[str | None, Field(max_length=150)] = None
    source: Literal[tuple(Source.values)] = Source.API  # type: ignore[valid-type]
    site: Annotated[str | None, Field(max_length=20)] = None
    parent: Annotated[str | None, Field(max_length=16)] = None
    major_incident: StrictBool = False


class IncidentPatchIn(Strict):
    short_description: Annotated[str, Field(min_length=1, max_length=160)] | None = None
    description: Annotated[str, Field(max_length=20000)] | None = None
    impact: LevelValue | None = None
    urgency: LevelValue | None = None
    category: Annotated[str, Field(max_length=40)] | None = None
    ci: Annotated[str, Field(max_length=255)] | None = None
    caller: Annotated[str, Field(max_length=150)] | None = None
    assignment_group: Annotated[str, Field(max_length=100)] | None = None
    assignee: Annotated[str, Field(max_length=150)] | None = None
    site: Annotated[str, Field(max_length=20)] | None = None
    parent: Annotated[str, Field(max_length=16)] | None = None
    major_incident: StrictBool | None = None
    major_incident_owner: Annotated[str, Field(max_length=150)] | None = None
    time_worked_minutes: Annotated[int, Field(ge=0, le=1_000_000), WHOLE_NUMBER] | None = None


class TransitionIn(Strict):
    to: StateValue
    hold_reason: Literal[tuple(HoldReason.values)] | None = None  # type: ignore[valid-type]
    resolution_code: Annotated[str, Field(max_length=40)] = ""
    resolution_notes: Annotated[str, Field(max_length=20000)] = ""
    reason: Annotated[str, Field(max_length=2000)] = ""


class CommentIn(Strict):
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    visibility: Literal["public", "internal"] = "public"


class SLAClockOut(Schema):
    definition: str
    kind: str
    target: str
    due: datetime | None
    state: str
    elapsed_percent: float


class IncidentOut(Schema):
    number: str
    state: State
    priority: int
    impact: int
    urgency: int
    short_description: str
    description: str
    category: str
    ci: str | None
    site: str | None
    source: str
    caller: str
    opened_by: str
    assignment_group: str | None
    assignee: str | None
    hold_reason: str | None
    resolution_code: str | None
    resolution_notes: str | None
    cancel_reason: str | None
    parent: str | None
    major_incident: bool
    major_incident_owner: str | None
    time_worked_minutes: int
    reopen_count: int
    reopened_at: datetime | None
    reopened_by: str | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    closed_at: datetime | None
    sla: list[SLAClockOut]
    problem: str | None = Field(None, description="the problem this incident is linked to (PRB...)")


class IncidentListOut(Schema):
    items: list[IncidentOut]
    count: int
    count_exact: bool


class CommunicationIn(Strict):
    body: Annotated[str, Field(min_length=1, max_length=20000)]


class CommentOut(Schema):
    id: int
    at: datetime
    author: str
    author_name: str
    visibility: str
    kind: Literal["note", "communication", "system"] = Field(
        description="note: a comment or work note; communication: a major-incident status update; "
        "system: written by PlantDesk itself (SLA warnings, breach actions)"
    )
    body: str


class CommentListOut(Schema):
    items: list[CommentOut]


class HistoryItemOut(Schema):
    at: datetime
    actor: str
    actor_name: str
    action: str
    field: str
    old: str
    new: str
    reason: str


class HistoryOut(Schema):
    items: list[HistoryItemOut]


class MajorCandidateOut(Schema):
    ci: str
    count: int
    incidents: list[str]
    first_opened_at: datetime


class MajorCandidatesOut(Schema):
    items: list[MajorCandidateOut]
