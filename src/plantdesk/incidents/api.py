"""/api/v1/incidents: thin handlers that parse, authorise through restrict(), and call one action."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import Conflict, InvalidInput, NotFound
from plantdesk.core.history import history_for
from plantdesk.core.journal import communications_for, journal_for
from plantdesk.core.pagination import bounded_count
from plantdesk.incidents import actions, queries
from plantdesk.incidents.choices import Source, State
from plantdesk.incidents.models import RECORD_TYPE, Incident
from plantdesk.incidents.schemas import (
    CommentIn,
    CommentListOut,
    CommentOut,
    CommunicationIn,
    HistoryOut,
    IncidentCreateIn,
    IncidentListOut,
    IncidentOut,
    IncidentPatchIn,
    MajorCandidatesOut,
    TransitionIn,
)
from plantdesk.incidents.serializers import comment_to_dict, incident_to_dict, incidents_to_dicts

router = Router(tags=["incidents"])


class IncidentListParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100_000_000)
    state: str | None = Field(None, description="comma-separated states")
    priority: str | None = Field(None, description="comma-separated priorities 1..5")
    assignment_group: str | None = None
    assignee: str | None = Field(None, description="a username, or 'none' for unassigned")
    caller: str | None = None
    ci: str | None = None
    q: str | None = Field(None, max_length=200)


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def states_and_priorities(params: Schema, known_states: Sequence[str]) -> tuple[list[str], list[int]]:
    """The `state` and `priority` filters of a list endpoint (comma-separated), checked; no NUL anywhere."""
    for name, value in params.model_dump().items():
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput.for_field(name, "Must not contain NUL characters.")
    states = _csv(getattr(params, "state", None))
    bad = [s for s in states if s not in known_states]
    if bad:
        raise InvalidInput.for_field("state", f"Unknown state {bad[0]!r}; use {', '.join(known_states)}.")
    priorities = _csv(getattr(params, "priority", None))
    if any(p not in {"1", "2", "3", "4", "5"} for p in priorities):
        raise InvalidInput.for_field("priority", "Priorities are 1 (critical) .. 5 (planning).")
    return states, [int(p) for p in priorities]


def _filters(params: IncidentListParams) -> queries.IncidentFilters:
    states, priorities = states_and_priorities(params, State.values)
    return queries.IncidentFilters(
        state=states or None,
        priority=priorities or None,
        assignment_group=params.assignment_group,
        assignee=params.assignee,
        caller=params.caller,
        ci=params.ci,
        q=params.q,
    )


def _visible(request: HttpRequest, number: str) -> Incident:
    incident = queries.get_visible(actor_of(request), number)
    if incident is None:
        raise NotFound(f"Incident {number} not found.")
    return incident


def _fresh(request: HttpRequest, number: str) -> dict[str, Any]:
    return incident_to_dict(_visible(request, number), internal=actor_of(request).is_fulfiller)


@router.get("", response=IncidentListOut, summary="List incidents")
def list_incidents(request: HttpRequest, params: Query[IncidentListParams]) -> dict[str, Any]:
    qs = queries.filter_incidents(queries.visible_incidents(actor_of(request)), _filters(params))
    qs = qs.order_by("priority", "opened_at", "id")
    count, exact = bounded_count(qs)
    page = queries.page_of(qs, params.offset, params.limit)
    return {
        "items": incidents_to_dicts(page, internal=actor_of(request).is_fulfiller),
        "count": count,
        "count_exact": exact,
    }


@router.post("", response={201: IncidentOut}, summary="Create an incident")
def create_incident(request: HttpRequest, payload: IncidentCreateIn) -> Status[dict[str, Any]]:
    data = payload.model_dump(exclude_unset=True)
    data.setdefault("source", Source.API)  # the channel is recorded: unless told otherwise, it is this API
    incident = actions.do_create_incident(data, actor=actor_of(request))
    return Status(
        201, incident_to_dict(incident, internal=actor_of(request).is_fulfiller)
    )  # the action's instance has every related row loaded


@router.get(
    "/major-candidates", response=MajorCandidatesOut,
    summary="CIs with several open incidents within minutes: proposed major incidents",
)  # fmt: skip
def major_candidates(request: HttpRequest) -> dict[str, Any]:
    found = queries.major_incident_candidates(actor_of(request))
    return {
        "items": [
            {"ci": c.ci, "count": c.count, "incidents": c.numbers, "first_opened_at": c.first_opened_at} for c in found
        ]
    }


def _etag(incident: Incident) -> str:
    return f'"{int(incident.updated_at.timestamp() * 1_000_000)}"'


@router.get("/{number}", response=IncidentOut, summary="Get an incident (with an ETag for If-Match)")
def get_incident(request: HttpRequest, number: str, response: HttpResponse) -> dict[str, Any]:
    incident = _visible(request, number)
    response["ETag"] = _etag(incident)
    return incident_to_dict(incident, internal=actor_of(request).is_fulfiller)


@router.patch(
    "/{number}",
    response=IncidentOut,
    summary="Change incident fields (not the state); send If-Match with the ETag to refuse stale edits (409)",
)
def patch_incident(
    request: HttpRequest, number: str, payload: IncidentPatchIn, response: HttpResponse
) -> dict[str, Any]:
    incident = _visible(request, number)
    if_match = request.headers.get("If-Match")
    if if_match and if_match not in ("*", _etag(incident)):
        raise Conflict("The incident was changed by someone else since you read it; reload it and try again.")
    changes = payload.model_dump(exclude_unset=True)
    updated = actions.do_update_incident(
        incident, changes, actor=actor_of(request), expected_updated_at=incident.updated_at
    )
    # The action's own result: the change may have moved the incident out of the actor's scope.
    queries.attach_related([updated])
    response["ETag"] = _etag(updated)
    return incident_to_dict(updated, internal=actor_of(request).is_fulfiller)


@router.post("/{number}/transitions", response=IncidentOut, summary="Move an incident to another state")
def transition_incident(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    incident = _visible(request, number)
    actions.do_transition_incident(
        incident,
        payload.to,
        actor=actor_of(request),
        hold_reason=payload.hold_reason or "",
        resolution_code=payload.resolution_code,
        resolution_notes=payload.resolution_notes,
        reason=payload.reason,
    )
    return _fresh(request, number)


@router.get("/{number}/comments", response=CommentListOut, summary="The journal of an incident")
def list_comments(request: HttpRequest, number: str) -> dict[str, Any]:
    incident = _visible(request, number)
    entries = journal_for(RECORD_TYPE, incident.pk, include_internal=actor_of(request).is_fulfiller)
    return {"items": [comment_to_dict(e) for e in entries]}


@router.post("/{number}/comments", response={201: CommentOut}, summary="Add a comment or work note")
def add_comment(request: HttpRequest, number: str, payload: CommentIn) -> Status[dict[str, Any]]:
    incident = _visible(request, number)
    entry = actions.do_add_comment(incident, payload.body, payload.visibility, actor=actor_of(request))
    return Status(201, comment_to_dict(entry))


@router.get("/{number}/communications", response=CommentListOut, summary="A major incident's communication log")
def list_communications(request: HttpRequest, number: str) -> dict[str, Any]:
    incident = _visible(request, number)
    return {"items": [comment_to_dict(e) for e in communications_for(RECORD_TYPE, incident.pk)]}


@router.post("/{number}/communications", response={201: CommentOut}, summary="Post a status update on a major incident")
def post_communication(request: HttpRequest, number: str, payload: CommunicationIn) -> Status[dict[str, Any]]:
    incident = _visible(request, number)
    entry = actions.do_post_communication(incident, payload.body, actor=actor_of(request))
    return Status(201, comment_to_dict(entry))


@router.get("/{number}/history", response=HistoryOut, summary="Every recorded change of an incident")
def incident_history(request: HttpRequest, number: str) -> dict[str, Any]:
    incident = _visible(request, number)
    items = history_for(RECORD_TYPE, incident.pk, include_internal=actor_of(request).is_fulfiller)
    return {"items": items}
