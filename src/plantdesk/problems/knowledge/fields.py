"""API values of an article -> model values, every problem named by its field (nothing written on error)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.cmdb.references import ci_list_field
from plantdesk.core.fields import Errors, choice, text
from plantdesk.problems.knowledge.choices import Audience
from plantdesk.problems.models import Problem

TITLE_LENGTH = 200
BODY_LENGTH = 50000
MAX_CIS = 50
FIELDS = frozenset({"title", "body", "audience", "cis", "problem"})


@dataclass
class ArticleValues:
    given: frozenset[str]
    title: str = ""
    body: str = ""
    audience: str = Audience.INTERNAL
    cis: list[ConfigurationItem] | None = None
    problem: Problem | None = None


def resolve(data: Mapping[str, Any], *, actor: User, creating: bool) -> ArticleValues:
    errors = Errors()
    unknown = sorted(set(data) - FIELDS)
    for name in unknown:
        errors.add(name, "Unknown field.")
    values = ArticleValues(given=frozenset(data) & FIELDS)
    if creating or "title" in data:
        values.title = text(data.get("title"), "title", errors, max_length=TITLE_LENGTH, required=True)
    if creating or "body" in data:
        values.body = text(data.get("body"), "body", errors, max_length=BODY_LENGTH)
    if "audience" in data or creating:
        values.audience = choice(data.get("audience", Audience.INTERNAL), "audience", errors, Audience.values)
    if "cis" in data:
        values.cis = ci_list_field(data.get("cis") or [], "cis", errors, actor, limit=MAX_CIS)
    if data.get("problem") not in (None, ""):
        number = data["problem"]
        found = (
            restrict(actor, "view", Problem).filter(number=number).first()
            if isinstance(number, str) and len(number) <= 16
            else None
        )
        if found is None:
            errors.add("problem", f"Unknown problem {number!r}.")
        values.problem = found
    errors.raise_if_any()
    return values
