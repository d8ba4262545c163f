"""Finding known errors: ranked full-text search over symptom, root cause and workaround, by CI.

Reads start from `restrict(user, "view", KnownError)` (agents only, see queries.known_error_scope)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core import fulltext
from plantdesk.core.errors import InvalidInput
from plantdesk.problems.models import KnownError, KnownErrorCI

# As migration 0003 built the index.
SEARCH_COLUMNS = {"symptom": "A", "root_cause": "B", "workaround": "B"}
fulltext.register_index(KnownError, SEARCH_COLUMNS)


def ci_filter(user: User, name: str | None, field: str = "ci") -> ConfigurationItem | None:
    """The CI a search is narrowed to (a name or alias the user can see); unknown is a 400 naming `field`."""
    if not name or not name.strip():
        return None
    ci = find_visible_ci(user, name.strip())
    if ci is None:
        raise InvalidInput.for_field(field, f"Unknown configuration item {name!r}.")
    return ci


@dataclass(frozen=True)
class KnownErrorHit:
    known_error: KnownError
    score: float


def known_errors_of_ci(qs: QuerySet[KnownError], ci: ConfigurationItem) -> QuerySet[KnownError]:
    """Those listing the CI among what they affect, or whose problem is on it."""
    listed = KnownErrorCI.objects.filter(ci=ci).values("known_error_id")
    return qs.filter(Q(pk__in=listed) | Q(problem__ci=ci))


def search_known_errors(
    user: User,
    text: str,
    *,
    ci: ConfigurationItem | None = None,
    limit: int = 20,
    published_only: bool = False,
    any_word: bool = False,
) -> list[KnownErrorHit]:
    """Best match first; without words in `text`, the most recently updated. Four queries, any limit."""
    qs = restrict(user, "view", KnownError)
    if ci is not None:
        qs = known_errors_of_ci(qs, ci)
    if published_only:
        qs = qs.filter(published=True)
    rows = qs.select_related("problem").prefetch_related("cis")
    if not fulltext.has_words(text):
        return [KnownErrorHit(row, 0.0) for row in rows.order_by("-updated_at", "-pk")[:limit]]
    hits = fulltext.ranked(KnownError, text, limit=limit, within=qs, any_word=any_word)
    by_pk = {row.pk: row for row in rows.filter(pk__in=[hit.id for hit in hits])}
    return [KnownErrorHit(by_pk[hit.id], hit.score) for hit in hits if hit.id in by_pk]
