"""Articles as the API and the pages show them (from rows loaded by queries.with_list_data)."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.problems.knowledge.choices import State
from plantdesk.problems.knowledge.models import Article, ArticleVersion
from plantdesk.problems.knowledge.queries import shown_version


def article_to_dict(article: Article, user: User, *, score: float | None = None) -> dict[str, Any]:
    shown = shown_version(user, article)
    data: dict[str, Any] = {
        "number": article.number,
        "title": shown.title,
        "body": shown.body,
        "body_html": shown.body_html,
        "audience": article.audience,
        # A requester reads the published version, whatever draft follows it.
        "state": article.state if user.is_fulfiller else State.PUBLISHED,
        "version": shown.version,
        "published_version": article.published.version if article.published_id and article.published else None,
        "cis": sorted(ci.name for ci in article.cis.all()),
        "problem": article.problem.number if article.problem_id and article.problem else None,
        "created_at": article.created_at,
        "updated_at": shown.updated_at,
        "deflections": getattr(article, "deflection_count", None) if user.is_fulfiller else None,
    }
    if score is not None:
        data["score"] = round(score, 6)
    return data


def version_to_dict(version: ArticleVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "title": version.title,
        "created_by": version.created_by.username,
        "created_at": version.created_at,
        "updated_by": version.updated_by.username,
        "updated_at": version.updated_at,
        "published_by": version.published_by.username if version.published_by else None,
        "published_at": version.published_at,
    }
