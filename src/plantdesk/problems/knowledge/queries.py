"""The read side of the knowledge base: who sees which article and which version, lists and search.

Requesters see public articles with a published version that are not retired, in that published version;
agents see every article in its latest version."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core import fulltext
from plantdesk.problems.knowledge.choices import Audience, State
from plantdesk.problems.knowledge.models import Article, ArticleCI, ArticleVersion, Deflection

# As migration 0005 built the index.
SEARCH_COLUMNS = {"title": "A", "body": "B"}
fulltext.register_index(ArticleVersion, SEARCH_COLUMNS)


def article_scope(user: User, action: Action) -> Q | None:
    if user.is_fulfiller:
        return None
    if action != "view":
        return Q(pk__in=[])
    return Q(audience=Audience.PUBLIC, published__isnull=False) & ~Q(state=State.RETIRED)


register_scope(Article, article_scope)


def visible_articles(user: User) -> QuerySet[Article]:
    return restrict(user, "view", Article)


def shown_version_field(user: User) -> str:
    """Which version a user reads: agents the latest, requesters the published one."""
    return "latest" if user.is_fulfiller else "published"


def with_list_data(qs: QuerySet[Article], user: User) -> QuerySet[Article]:
    """Everything a list shows, in three queries whatever the length."""
    deflections = Deflection.objects.filter(article=OuterRef("pk")).order_by().values("article").annotate(n=Count("pk"))
    version = shown_version_field(user)
    return (
        qs.select_related(version, f"{version}__updated_by", "problem")
        .prefetch_related("cis")
        .annotate(deflection_count=Coalesce(Subquery(deflections.values("n")), Value(0)))
    )


@dataclass(frozen=True)
class ArticleFilters:
    state: str | None = None
    audience: str | None = None
    ci: ConfigurationItem | None = None


def filter_articles(qs: QuerySet[Article], f: ArticleFilters) -> QuerySet[Article]:
    if f.state:
        qs = qs.filter(state=f.state)
    if f.audience:
        qs = qs.filter(audience=f.audience)
    if f.ci is not None:
        qs = qs.filter(pk__in=ArticleCI.objects.filter(ci=f.ci).values("article_id"))
    return qs


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float


def search_articles(
    user: User, text: str, qs: QuerySet[Article], *, limit: int, offset: int = 0, any_word: bool = False
) -> list[ArticleHit]:
    """`qs` (already restricted and filtered) best match first; without words, the latest changed first."""
    if not fulltext.has_words(text):
        rows = with_list_data(qs, user).order_by("-updated_at", "-pk")[offset : offset + limit]
        return [ArticleHit(a, 0.0) for a in rows]
    version = shown_version_field(user)
    within = ArticleVersion.objects.filter(pk__in=qs.values(f"{version}_id"))
    hits = fulltext.ranked(ArticleVersion, text, limit=offset + limit, within=within, any_word=any_word)[offset:]
    version_ids = [h.id for h in hits]
    by_version = {
        getattr(a, f"{version}_id"): a for a in with_list_data(qs, user).filter(**{f"{version}_id__in": version_ids})
    }
    return [ArticleHit(by_version[h.id], h.score) for h in hits if h.id in by_version]


def get_visible(user: User, number: str) -> Article | None:
    return with_list_data(visible_articles(user), user).filter(number=number).first()


def shown_version(user: User, article: Article) -> ArticleVersion:
    found = getattr(article, shown_version_field(user))
    assert found is not None  # the scope lets no requester see an article without a published version
    return found


def versions_of(user: User, article: Article) -> QuerySet[ArticleVersion]:
    """Agents: every version; requesters: the versions that were published."""
    qs = ArticleVersion.objects.filter(article=article).select_related("created_by", "updated_by", "published_by")
    if not user.is_fulfiller:
        qs = qs.filter(published_at__isnull=False)
    return qs.order_by("version")
