"""The read side of the knowledge base: who sees which article and which version, lists and search.

Requesters see public articles with a published version that are not retired, in that published version;
agents see every article in its latest version."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, OuterRef, Q, QuerySet, Subquery, Value, When
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


def requesters_read(article: Article) -> bool:
    """article_scope's rule for requesters, for one article in memory."""
    return article.audience == Audience.PUBLIC and article.published_id is not None and article.state != State.RETIRED


def mark_readers(article: Article) -> None:
    """Set the versions' `shown_to_*` flags after the article's latest, published, audience or state
    changed; only the (at most four) rows whose flags change are written."""
    agents, requesters = article.latest_id, article.published_id if requesters_read(article) else None
    flagged = Q(shown_to_agents=True) | Q(shown_to_requesters=True) | Q(pk__in={agents, requesters} - {None})
    ArticleVersion.objects.filter(flagged, article=article).update(
        shown_to_agents=Case(When(pk=agents, then=Value(True)), default=Value(False)),
        shown_to_requesters=Case(When(pk=requesters, then=Value(True)), default=Value(False)),
    )


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
        qs.select_related("latest", "published", f"{version}__updated_by", "problem")  # agents see both numbers
        .prefetch_related("cis")
        .annotate(deflection_count=Coalesce(Subquery(deflections.values("n")), Value(0)))
    )


@dataclass(frozen=True)
class ArticleFilters:
    state: str | None = None
    audience: str | None = None
    ci: ConfigurationItem | None = None
    as_requester: bool = False  # the portal: what a requester reads, whoever looks


def _reads_as_requester(user: User, f: ArticleFilters) -> bool:
    return f.as_requester or not user.is_fulfiller


def filter_articles(qs: QuerySet[Article], f: ArticleFilters) -> QuerySet[Article]:
    if f.state:
        qs = qs.filter(state=f.state)
    if f.audience:
        qs = qs.filter(audience=f.audience)
    if f.ci is not None:
        qs = qs.filter(pk__in=ArticleCI.objects.filter(ci=f.ci).values("article_id"))
    if f.as_requester:
        qs = qs.filter(audience=Audience.PUBLIC, published__isnull=False).exclude(state=State.RETIRED)
    return qs


def _searched_versions(user: User, f: ArticleFilters) -> QuerySet[ArticleVersion]:
    """The versions a search ranks: the reader's flag, and the filters as conditions on the article."""
    if _reads_as_requester(user, f):
        versions = ArticleVersion.objects.filter(shown_to_requesters=True)
    else:
        versions = ArticleVersion.objects.filter(shown_to_agents=True)
    if f.state:
        versions = versions.filter(article__state=f.state)
    if f.audience:
        versions = versions.filter(article__audience=f.audience)
    if f.ci is not None:
        versions = versions.filter(article_id__in=ArticleCI.objects.filter(ci=f.ci).values("article_id"))
    return versions


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    score: float


def search_articles(
    user: User,
    text: str,
    filters: ArticleFilters | None = None,
    *,
    limit: int,
    offset: int = 0,
    any_word: bool = False,
) -> list[ArticleHit]:
    """The articles the user may read (restricted, then filtered) best match first; without words in
    `text`, the latest changed first. Four queries whatever the limit."""
    f = filters or ArticleFilters()
    qs = with_list_data(filter_articles(visible_articles(user), f), user)
    if not fulltext.has_words(text):
        return [ArticleHit(a, 0.0) for a in qs.order_by("-updated_at", "-pk")[offset : offset + limit]]
    version = "published" if _reads_as_requester(user, f) else "latest"
    within = _searched_versions(user, f)
    hits = fulltext.ranked(ArticleVersion, text, limit=offset + limit, within=within, any_word=any_word)[offset:]
    by_version = {getattr(a, f"{version}_id"): a for a in qs.filter(**{f"{version}_id__in": [h.id for h in hits]})}
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
