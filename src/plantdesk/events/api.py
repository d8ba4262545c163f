"""POST /api/v1/events (CONTRACT.md section 5) and the dead-letter list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.choices import Role
from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.core.api_types import WHOLE_NUMBER
from plantdesk.core.errors import DomainError, Forbidden, InvalidInput
from plantdesk.events.actions import MAX_ID, MAX_REPLAY, do_replay_dead_letters
from plantdesk.events.ingest import MAX_BATCH, Unreadable, accept, accepted_summary, read_json
from plantdesk.events.models import InboxEvent

events_router = Router(tags=["events"])
MAX_BODY = 512 * 1024


class TooLarge(DomainError):
    status = 413


class AcceptedItem(Schema):
    id: int | None
    dedup_key: str


class Rejected(Schema):
    index: int
    id: int | None
    reason: str


class AcceptedOut(Schema):
    accepted: int
    items: list[AcceptedItem]
    dead_letters: list[Rejected]


class DeadLetter(Schema):
    id: int
    channel: str
    source: str
    received_at: datetime
    reason: str
    payload: str
    sha256: str


class DeadLetterList(Schema):
    items: list[DeadLetter]


class DeadLetterParams(Schema):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, ge=1, le=500)


@events_router.post("", response={202: AcceptedOut}, summary="Send one event or a list (integration accounts)")
def post_events(request: HttpRequest) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    if not (actor.is_integration or actor.role == Role.ADMIN):
        raise Forbidden(
            "Events come from integration accounts (plantdesk user add NAME --role requester --integration)."
        )
    if len(request.body) > MAX_BODY:
        raise TooLarge(f"At most {MAX_BODY // 1024} KB per request; send batches.")
    try:
        _, document = read_json(request.body)
    except Unreadable as exc:
        raise InvalidInput.for_field("body", str(exc).removeprefix("body: ")) from exc
    events = document if isinstance(document, list) else [document]
    if not events or len(events) > MAX_BATCH:
        raise InvalidInput.for_field("body", f"One event or a list of 1 to {MAX_BATCH}.")
    return Status(202, accepted_summary(accept(events, channel="rest", actor=actor)))


@events_router.get("/dead-letters", response=DeadLetterList, summary="Events that could not be read")
def dead_letters(request: HttpRequest, params: Query[DeadLetterParams]) -> dict[str, Any]:
    actor = actor_of(request)
    if not actor.is_fulfiller:
        raise Forbidden("Dead letters are for agents and administrators.")
    rows = restrict(actor, "view", InboxEvent).filter(status=InboxEvent.DEAD).order_by("-received_at", "-id")
    return {"items": list(rows[: params.limit])}


class ReplayIn(Schema):
    model_config = ConfigDict(extra="forbid")

    # JSON's true/false and "7" are not dead-letter ids (lax pydantic would read true as 1).
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID), WHOLE_NUMBER]] = Field(..., min_length=1, max_length=MAX_REPLAY)


class ReplayOut(Schema):
    replayed: list[dict[str, Any]]
    still_dead: list[dict[str, Any]]


@events_router.post("/dead-letters/replay", response=ReplayOut, summary="Read dead letters again")
def replay_dead_letters(request: HttpRequest, payload: ReplayIn) -> dict[str, Any]:
    return do_replay_dead_letters(payload.ids, actor=actor_of(request))
