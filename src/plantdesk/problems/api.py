"""/api/v1/problems: thin handlers that parse, authorise through restrict(), and call one action."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import Conflict, NotFound
from plantdesk.core.history import history_for
from plantdesk.core.journal import journal_for
from plantdesk.core.pagination import bounded_count
from plantdesk.incidents.api import states_and_priorities
from plantdesk.incidents.schemas import CommentIn, CommentListOut, CommentOut, HistoryOut
from plantdesk.incidents.serializers import comment_to_dict
from plantdesk.problems import actions, known_errors, queries
from plantdesk.problems.choices import State
from plantdesk.problems.models import RECORD_TYPE, Problem
from plantdesk.problems.schemas import (
    KnownErrorIn,
    KnownErrorOut,
    ProblemCandidatesOut,
    ProblemCreateIn,
    ProblemLinkIn,
    ProblemLinkOut,
    ProblemListOut,
    ProblemOut,
    ProblemPatchIn,
    ProblemResolveIncidentsIn,
    ProblemResolveIncidentsOut,
    ProblemTransitionIn,
)
from plantdesk.problems.serializers import known_error_to_dict, problem_to_dict

router = Router(tags=["problems"])


class ProblemListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)
    state: str | None = Field(None, description="comma-separated states")
    priority: str | None = Field(None, description="comma-separated priorities 1..5")
    assignment_group: str | None = Field(None, max_length=100)
    assignee: str | None = Field(None, max_length=150, description="a username, or 'none' for unassigned")
    ci: str | None = Field(None, max_length=255)
    q: str | None = Field(None, max_length=200)


class CandidateParams(Schema):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(30, ge=1, le=365, description="look back this many days")
    min: int = Field(3, ge=2, le=1000, description="at least this many incidents")


def _filters(params: ProblemListParams) -> queries.ProblemFilters:
    states, priorities = states_and_priorities(params, State.values)
    return queries.ProblemFilters(
        state=states or None, priority=priorities or None, assignment_group=params.assignment_group,
        assignee=params.assignee, ci=params.ci, q=params.q,
    )  # fmt: skip


def _visible(request: HttpRequest, number: str) -> Problem:
    problem = queries.get_visible(actor_of(request), number)
    if problem is None:
        raise NotFound(f"Problem {number} not found.")
    return problem


def _fresh(request: HttpRequest, number: str) -> dict[str, Any]:
    return problem_to_dict(_visible(request, number))


def _etag(problem: Problem) -> str:
    return f'"{int(problem.updated_at.timestamp() * 1_000_000)}"'


@router.get("", response=ProblemListOut, summary="List problems")
def list_problems(request: HttpRequest, params: Query[ProblemListParams]) -> dict[str, Any]:
    qs = queries.filter_problems(queries.visible_problems(actor_of(request)), _filters(params))
    qs = qs.order_by("priority", "opened_at", "id")
    count, exact = bounded_count(qs)
    page = queries.page_of(qs, params.offset, params.limit)
    return {"items": [problem_to_dict(p) for p in page], "count": count, "count_exact": exact}


@router.post("", response={201: ProblemOut}, summary="Create a problem (and link incidents to it)")
def create_problem(request: HttpRequest, payload: ProblemCreateIn) -> Status[dict[str, Any]]:
    problem = actions.do_create_problem(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, _fresh(request, problem.number))


@router.get(
    "/candidates", response=ProblemCandidatesOut,
    summary="Recurring incidents not yet linked to a problem: per CI, and per category on a line",
)  # fmt: skip
def candidates(request: HttpRequest, params: Query[CandidateParams]) -> dict[str, Any]:
    found = queries.problem_candidates(actor_of(request), days=params.days, minimum=params.min)
    return {"items": [c.__dict__ for c in found]}


@router.get("/{number}", response=ProblemOut, summary="Get a problem (with an ETag for If-Match)")
def get_problem(request: HttpRequest, number: str, response: HttpResponse) -> dict[str, Any]:
    problem = _visible(request, number)
    response["ETag"] = _etag(problem)
    return problem_to_dict(problem)


@router.patch("/{number}", response=ProblemOut, summary="Change problem fields (not the state)")
def patch_problem(request: HttpRequest, number: str, payload: ProblemPatchIn, response: HttpResponse) -> dict[str, Any]:
    problem = _visible(request, number)
    if_match = request.headers.get("If-Match")
    if if_match and if_match not in ("*", _etag(problem)):
        raise Conflict("The problem was changed by someone else since you read it; reload it and try again.")
    updated = actions.do_update_problem(
        problem, payload.model_dump(exclude_unset=True), actor=actor_of(request), expected_updated_at=problem.updated_at
    )
    queries.attach_related([updated])
    response["ETag"] = _etag(updated)
    return problem_to_dict(updated)


@router.post("/{number}/transitions", response=ProblemOut, summary="Move a problem to another state")
def transition_problem(request: HttpRequest, number: str, payload: ProblemTransitionIn) -> dict[str, Any]:
    problem = _visible(request, number)
    actions.do_transition_problem(
        problem, payload.to, actor=actor_of(request), resolution_code=payload.resolution_code,
        cause_notes=payload.cause_notes, capa_decision=payload.capa_decision or "",
        capa_rationale=payload.capa_rationale, reason=payload.reason,
    )  # fmt: skip
    return _fresh(request, number)


@router.post("/{number}/incidents", response=ProblemLinkOut, summary="Link incidents to a problem")
def link_incidents(request: HttpRequest, number: str, payload: ProblemLinkIn) -> dict[str, Any]:
    problem = _visible(request, number)
    linked = actions.do_link_incidents(problem, payload.incidents, actor=actor_of(request))
    return {"linked": linked, "incidents": _visible(request, number).incident_numbers}  # type: ignore[attr-defined]


@router.delete("/{number}/incidents/{incident}", response={204: None}, summary="Unlink an incident from a problem")
def unlink_incident(request: HttpRequest, number: str, incident: str) -> Status[None]:
    problem = _visible(request, number)
    actions.do_unlink_incident(problem, incident, actor=actor_of(request))
    return Status(204, None)


@router.get("/{number}/known-error", response=KnownErrorOut, summary="The problem's known error")
def get_known_error(request: HttpRequest, number: str) -> dict[str, Any]:
    problem = _visible(request, number)
    known = queries.known_error_of(problem)
    if known is None:
        raise NotFound(f"{number} has no known error yet.")
    return known_error_to_dict(known, problem)


@router.put(
    "/{number}/known-error", response=KnownErrorOut,
    summary="Record the known error; publish: post the workaround to every linked open incident (once per version)",
)  # fmt: skip
def put_known_error(request: HttpRequest, number: str, payload: KnownErrorIn) -> dict[str, Any]:
    problem = _visible(request, number)
    result = known_errors.do_set_known_error(problem, payload.model_dump(), actor=actor_of(request))
    known = queries.known_error_of(problem)
    assert known is not None
    return known_error_to_dict(known, problem, result.posted_to)


@router.post(
    "/{number}/resolve-incidents", response=ProblemResolveIncidentsOut,
    summary="Resolve the linked incidents on hold awaiting this problem (and only those)",
)  # fmt: skip
def resolve_incidents(request: HttpRequest, number: str, payload: ProblemResolveIncidentsIn) -> dict[str, Any]:
    problem = _visible(request, number)
    resolved = actions.do_resolve_linked_incidents(
        problem, resolution_code=payload.resolution_code, resolution_notes=payload.resolution_notes,
        actor=actor_of(request),
    )  # fmt: skip
    return {"resolved": resolved}


@router.get("/{number}/comments", response=CommentListOut, summary="The journal of a problem")
def list_comments(request: HttpRequest, number: str) -> dict[str, Any]:
    problem = _visible(request, number)
    return {"items": [comment_to_dict(e) for e in journal_for(RECORD_TYPE, problem.pk, include_internal=True)]}


@router.post("/{number}/comments", response={201: CommentOut}, summary="Add a comment or work note to a problem")
def add_comment(request: HttpRequest, number: str, payload: CommentIn) -> Status[dict[str, Any]]:
    problem = _visible(request, number)
    entry = actions.do_add_comment(problem, payload.body, payload.visibility, actor=actor_of(request))
    return Status(201, comment_to_dict(entry))


@router.get("/{number}/history", response=HistoryOut, summary="Every recorded change of a problem")
def problem_history(request: HttpRequest, number: str) -> dict[str, Any]:
    problem = _visible(request, number)
    return {"items": history_for(RECORD_TYPE, problem.pk, include_internal=True)}
