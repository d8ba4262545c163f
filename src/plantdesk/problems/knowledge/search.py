"""Suggestions while someone describes a problem: known errors (agents) and articles, for the lead's forms.

`suggest(user, text, ci_name)` is what the incident forms' panels show; known errors reach agents only
(their scope), articles requesters only when public and published."""

from __future__ import annotations

from dataclasses import dataclass, field

from plantdesk.accounts.models import User
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core import fulltext
from plantdesk.problems.knowledge.queries import ArticleFilters, ArticleHit, search_articles
from plantdesk.problems.known_error_search import KnownErrorHit, search_known_errors


@dataclass(frozen=True)
class Suggestions:
    known_errors: list[KnownErrorHit] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.known_errors or self.articles)


def suggest(user: User, text: str, ci_name: str = "", limit: int = 5) -> Suggestions:
    """What may already answer `text` (and/or the CI): nothing without words or a known CI."""
    ci = find_visible_ci(user, ci_name.strip()) if ci_name and len(ci_name) <= 255 else None
    if not fulltext.has_words(text) and ci is None:
        return Suggestions()
    articles = ArticleFilters(ci=ci) if ci is not None and not fulltext.has_words(text) else None
    # Every word first (the word being typed as a prefix); a sentence that no row holds whole falls back
    # to the rows sharing most of its words.
    known = search_known_errors(user, text, ci=ci, limit=limit) if user.is_fulfiller else []
    if user.is_fulfiller and not known and fulltext.has_words(text):
        known = search_known_errors(user, text, ci=ci, limit=limit, any_word=True)
    found = search_articles(user, text, articles, limit=limit)
    if not found and fulltext.has_words(text):
        found = search_articles(user, text, articles, limit=limit, any_word=True)
    return Suggestions(known, found)
