"""POST /api/v1/events (CONTRACT.md section 5) and the dead-letter list."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.accounts.choices import Role
from plantdesk.accounts.permissions import restrict
from plantdesk.api.auth import actor_of
from plantdesk.core.errors import DomainError, Forbidden, InvalidInput
from plantdesk.events.actions import MAX_REPLAY, do_replay_dead_letters
from plantdesk.events.ingest import MAX_BATCH, accept
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


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")  # NaN and Infinity: Python reads them, JSON has none


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
        document = json.loads(request.body, parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput.for_field("body", f"Not valid JSON: {exc}.") from exc
    except RecursionError as exc:
        raise InvalidInput.for_field("body", "Nested too deeply.") from exc
    events = document if isinstance(document, list) else [document]
    if not events or len(events) > MAX_BATCH:
        raise InvalidInput.for_field("body", f"One event or a list of 1 to {MAX_BATCH}.")
    outcomes = accept(events, channel="rest", actor=actor)
    good = [o for o in outcomes if not o.problem]
    return Status(202, {
        "accepted": len(good),
        "items": [{"id": o.id, "dedup_key": o.dedup_key} for o in good],
        "dead_letters": [{"index": o.index, "id": o.id, "reason": o.problem} for o in outcomes if o.problem],
    })  # fmt: skip


@events_router.get("/dead-letters", response=DeadLetterList, summary="Events that could not be read")
def dead_letters(request: HttpRequest, params: Query[DeadLetterParams]) -> dict[str, Any]:
    actor = actor_of(request)
    if not actor.is_fulfiller:
        raise Forbidden("Dead letters are for agents and administrators.")
    rows = restrict(actor, "view", InboxEvent).filter(status=InboxEvent.DEAD).order_by("-received_at", "-id")
    return {"items": list(rows[: params.limit])}


class ReplayIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(..., min_length=1, max_length=MAX_REPLAY)


class ReplayOut(Schema):
    replayed: list[dict[str, Any]]
    still_dead: list[dict[str, Any]]


@events_router.post("/dead-letters/replay", response=ReplayOut, summary="Read dead letters again")
def replay_dead_letters(request: HttpRequest, payload: ReplayIn) -> dict[str, Any]:
    return do_replay_dead_letters(payload.ids, actor=actor_of(request))
