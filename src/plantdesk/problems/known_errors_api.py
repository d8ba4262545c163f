"""/api/v1/known-errors: ranked search of known errors (CONTRACT.md section 8), agents only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.problems.known_error_search import ci_filter, search_known_errors

known_errors_router = Router(tags=["problems"])


class KnownErrorParams(Schema):
    model_config = ConfigDict(extra="forbid")

    q: str = Field("", max_length=200)
    ci: str | None = Field(None, max_length=255)
    limit: int = Field(20, ge=1, le=100)


class KnownErrorItemOut(Schema):
    problem: str
    symptom: str
    workaround: str
    cis: list[str]
    score: float


class KnownErrorListOut(Schema):
    items: list[KnownErrorItemOut]
    count: int


@known_errors_router.get("", response=KnownErrorListOut, summary="Search known errors, best match first")
def list_known_errors(request: HttpRequest, params: Query[KnownErrorParams]) -> dict[str, Any]:
    user = actor_of(request)
    hits = search_known_errors(user, params.q, ci=ci_filter(user, params.ci), limit=params.limit)
    items = [
        {
            "problem": hit.known_error.problem.number,
            "symptom": hit.known_error.symptom,
            "workaround": hit.known_error.workaround,
            "cis": sorted(c.name for c in hit.known_error.cis.all()),
            "score": round(hit.score, 6),
        }
        for hit in hits
    ]
    return {"items": items, "count": len(items)}
