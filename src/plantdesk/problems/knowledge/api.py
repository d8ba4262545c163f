"""/api/v1/knowledge: thin handlers over queries and actions (CONTRACT.md section 8). No DELETE: retire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import NotFound
from plantdesk.problems.knowledge import actions, queries
from plantdesk.problems.knowledge.choices import Audience, State
from plantdesk.problems.knowledge.models import Article
from plantdesk.problems.knowledge.serializers import article_to_dict, version_to_dict
from plantdesk.problems.known_error_search import ci_filter

knowledge_router = Router(tags=["knowledge"])

AudienceValue = Literal["public", "internal"]
StateValue = Literal["draft", "review", "published", "retired"]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ArticleCreateIn(Strict):
    title: Annotated[str, Field(max_length=200)]
    body: Annotated[str, Field(max_length=50000)] = ""
    audience: AudienceValue = "internal"
    cis: list[Annotated[str, Field(max_length=255)]] = Field(default_factory=list, max_length=50)
    problem: Annotated[str, Field(max_length=16)] | None = None


class ArticlePatchIn(Strict):
    title: Annotated[str, Field(max_length=200)] | None = None
    body: Annotated[str, Field(max_length=50000)] | None = None
    audience: AudienceValue | None = None
    cis: list[Annotated[str, Field(max_length=255)]] | None = Field(None, max_length=50)
    problem: Annotated[str, Field(max_length=16)] | None = None


class ArticleTransitionIn(Strict):
    to: StateValue


class ArticleOut(Schema):
    number: str
    title: str
    body: str
    body_html: str
    audience: str
    state: str
    version: int
    published_version: int | None
    cis: list[str]
    problem: str | None
    created_at: datetime
    updated_at: datetime
    deflections: int | None = Field(None, description="agents only: how often it solved a requester's problem")
    score: float | None = None


class ArticleListOut(Schema):
    items: list[ArticleOut]
    count: int


class VersionOut(Schema):
    version: int
    title: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    published_by: str | None
    published_at: datetime | None


class VersionListOut(Schema):
    items: list[VersionOut]


class ListParams(Strict):
    q: str = Field("", max_length=200)
    state: StateValue | None = None
    audience: AudienceValue | None = None
    ci: str | None = Field(None, max_length=255)
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


def _visible(request: HttpRequest, number: str) -> Article:
    article = queries.get_visible(actor_of(request), number)
    if article is None:
        raise NotFound(f"Article {number} not found.")
    return article


def _fresh(request: HttpRequest, number: str) -> dict[str, Any]:
    return article_to_dict(_visible(request, number), actor_of(request))


@knowledge_router.get("", response=ArticleListOut, summary="List or search articles (best match first with q)")
def list_articles(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    user = actor_of(request)
    ci = ci_filter(user, params.ci)
    filters = queries.ArticleFilters(state=params.state, audience=params.audience, ci=ci)
    hits = queries.search_articles(user, params.q, filters, limit=params.limit, offset=params.offset)
    searching = bool(params.q.strip())
    items = [article_to_dict(h.article, user, score=h.score if searching else None) for h in hits]
    count = len(items) if searching else queries.filter_articles(queries.visible_articles(user), filters).count()
    return {"items": items, "count": count}


@knowledge_router.post("", response={201: ArticleOut}, summary="Write an article (a draft, version 1)")
def create_article(request: HttpRequest, payload: ArticleCreateIn) -> Status[dict[str, Any]]:
    article = actions.do_create_article(payload.model_dump(), actor=actor_of(request))
    return Status(201, _fresh(request, article.number))


@knowledge_router.get("/{number}", response=ArticleOut, summary="One article")
def get_article(request: HttpRequest, number: str) -> dict[str, Any]:
    return _fresh(request, number)


@knowledge_router.patch("/{number}", response=ArticleOut, summary="Edit (a published article gets a new draft)")
def update_article(request: HttpRequest, number: str, payload: ArticlePatchIn) -> dict[str, Any]:
    article = _visible(request, number)
    actions.do_update_article(article, payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return _fresh(request, number)


@knowledge_router.post("/{number}/transitions", response=ArticleOut, summary="Move an article along its workflow")
def transition_article(request: HttpRequest, number: str, payload: ArticleTransitionIn) -> dict[str, Any]:
    actions.do_transition_article(_visible(request, number), payload.to, actor=actor_of(request))
    return _fresh(request, number)


@knowledge_router.get("/{number}/versions", response=VersionListOut, summary="Versions: who and when")
def article_versions(request: HttpRequest, number: str) -> dict[str, Any]:
    user = actor_of(request)
    return {"items": [version_to_dict(v) for v in queries.versions_of(user, _visible(request, number))]}


@knowledge_router.post("/{number}/deflections", response={201: ArticleOut}, summary="It solved my problem")
def deflect(request: HttpRequest, number: str) -> Status[dict[str, Any]]:
    actions.do_record_deflection(_visible(request, number), actor=actor_of(request))
    return Status(201, _fresh(request, number))


__all__ = ["Audience", "State", "knowledge_router"]
