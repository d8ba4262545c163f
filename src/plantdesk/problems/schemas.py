"""API payloads of CONTRACT.md section 8 (problems, links, known errors). Unknown fields are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field, StrictBool

from plantdesk.incidents.schemas import LevelValue, Strict
from plantdesk.problems.choices import CapaDecision

StateValue = Literal["new", "assess", "root_cause_analysis", "fix_in_progress", "resolved", "closed", "canceled"]
Number = Annotated[str, Field(max_length=16)]


class ProblemCreateIn(Strict):
    short_description: Annotated[str, Field(min_length=1, max_length=160)]
    description: Annotated[str, Field(max_length=20000)] = ""
    impact: LevelValue = 2
    urgency: LevelValue = 2
    category: Annotated[str, Field(max_length=40)] = ""
    ci: Annotated[str | None, Field(max_length=255)] = None
    site: Annotated[str | None, Field(max_length=20)] = None
    assignment_group: Annotated[str | None, Field(max_length=100)] = None
    assignee: Annotated[str | None, Field(max_length=150)] = None
    fix_change: Number | None = None
    incidents: Annotated[list[Number], Field(max_length=1000)] = []


class ProblemPatchIn(Strict):
    short_description: Annotated[str, Field(min_length=1, max_length=160)] | None = None
    description: Annotated[str, Field(max_length=20000)] | None = None
    impact: LevelValue | None = None
    urgency: LevelValue | None = None
    category: Annotated[str, Field(max_length=40)] | None = None
    ci: Annotated[str, Field(max_length=255)] | None = None
    site: Annotated[str, Field(max_length=20)] | None = None
    assignment_group: Annotated[str, Field(max_length=100)] | None = None
    assignee: Annotated[str, Field(max_length=150)] | None = None
    fix_change: Number | None = Field(None, description="the change that fixes it, CHG...; null to clear")


class ProblemTransitionIn(Strict):
    to: StateValue
    resolution_code: Annotated[str, Field(max_length=40)] = ""
    cause_notes: Annotated[str, Field(max_length=20000)] = ""
    capa_decision: Literal[tuple(CapaDecision.values)] | None = Field(  # type: ignore[valid-type]
        None, description="GxP problems: whether a CAPA is required (asked when resolving)"
    )
    capa_rationale: Annotated[str, Field(max_length=5000)] = ""
    reason: Annotated[str, Field(max_length=2000)] = ""


class ProblemLinkIn(Strict):
    incidents: Annotated[list[Number], Field(min_length=1, max_length=1000)]


class ProblemLinkOut(Schema):
    linked: list[str]
    incidents: list[str]


class KnownErrorIn(Strict):
    symptom: Annotated[str, Field(min_length=1, max_length=5000)]
    root_cause: Annotated[str, Field(max_length=5000)] = ""
    workaround: Annotated[str, Field(max_length=10000)] = ""
    vendor: Annotated[str, Field(max_length=100)] = ""
    product_model: Annotated[str, Field(max_length=100)] = ""
    affected_version: Annotated[str, Field(max_length=60)] = ""
    cis: Annotated[list[Annotated[str, Field(max_length=255)]], Field(max_length=200)] = []
    publish: StrictBool = False


class KnownErrorOut(Schema):
    problem: str
    symptom: str
    root_cause: str
    workaround: str
    vendor: str
    product_model: str
    affected_version: str
    cis: list[str]
    published: bool
    workaround_version: int
    published_at: datetime | None
    published_by: str | None
    posted_to: list[str] = Field([], description="incidents this call posted the workaround to")


class ProblemResolveIncidentsIn(Strict):
    resolution_code: Annotated[str, Field(min_length=1, max_length=40)]
    resolution_notes: Annotated[str, Field(min_length=1, max_length=20000)]


class ProblemResolveIncidentsOut(Schema):
    resolved: list[str]


class ProblemOut(Schema):
    number: str
    state: StateValue
    priority: int
    impact: int
    urgency: int
    short_description: str
    description: str
    category: str
    ci: str | None
    site: str | None
    gxp_relevant: bool
    opened_by: str
    assignment_group: str | None
    assignee: str | None
    fix_change: str | None
    incidents: list[str]
    known_error: bool
    resolution_code: str | None
    cause_notes: str | None
    capa_decision: str | None
    capa_rationale: str | None
    cancel_reason: str | None
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    closed_at: datetime | None


class ProblemListOut(Schema):
    items: list[ProblemOut]
    count: int
    count_exact: bool


class ProblemCandidateOut(Schema):
    ci: str | None
    line: str | None
    category: str | None
    incidents: list[str]
    count: int


class ProblemCandidatesOut(Schema):
    items: list[ProblemCandidateOut]
