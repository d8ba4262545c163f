"""Every write to the knowledge base (ARCHITECTURE rule 1): audited, with `knowledge.<what>` events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.domain_events import record_event
from plantdesk.core.errors import Conflict, Forbidden, NotFound
from plantdesk.core.numbering import next_number
from plantdesk.problems.knowledge import markdown, transitions
from plantdesk.problems.knowledge.choices import State
from plantdesk.problems.knowledge.fields import ArticleValues, resolve
from plantdesk.problems.knowledge.models import (
    NUMBER_PREFIX,
    RECORD_TYPE,
    Article,
    ArticleCI,
    ArticleVersion,
    Deflection,
)
from plantdesk.problems.knowledge.queries import mark_readers

# Pressing "This solved my problem" again within this time is the same help, counted once.
DEFLECTION_WINDOW = timedelta(hours=24)


def do_create_article(data: Mapping[str, Any], *, actor: User) -> Article:
    _agents_only(actor)
    values = resolve(data, actor=actor, creating=True)
    with audit.action_transaction():
        now = timezone.now()
        article = Article.objects.create(
            number=next_number(NUMBER_PREFIX), audience=values.audience, problem=values.problem,
            created_by=actor, created_at=now, updated_at=now,
        )  # fmt: skip
        version = _new_version(article, 1, values.title, values.body, actor=actor, now=now)
        article.latest = version
        article.save(update_fields=["latest"])
        mark_readers(article)
        _set_cis(article, values.cis or [])
        _audit(actor, article, "created", new=article.number)
        for name, value in (("title", values.title), ("audience", values.audience), ("problem", values.problem)):
            if value:
                _audit(actor, article, "created", field=name, new=value)
        if values.cis:
            _audit(actor, article, "created", field="cis", new=sorted(c.name for c in values.cis))
        _emit("created", article, actor)
    return article


def do_update_article(article: Article, data: Mapping[str, Any], *, actor: User) -> Article:
    """Edit fields. Title and body of a published article go into a new draft version; readers keep the
    published one until that is published."""
    _agents_only(actor)
    values = resolve(data, actor=actor, creating=False)
    with audit.action_transaction():
        locked = _lock(article)
        if locked.state == State.RETIRED:
            raise Conflict(f"{locked.number} is retired and cannot be changed.")
        now = timezone.now()
        latest = ArticleVersion.objects.get(article=locked, version=locked.version)
        changed = _update_metadata(locked, values, actor=actor)
        text_changes = {
            name: new
            for name, new in (("title", values.title), ("body", values.body))
            if name in values.given and getattr(latest, name) != new
        }
        if text_changes:
            for name, new in text_changes.items():
                _audit(actor, locked, "updated", field=name, old=getattr(latest, name), new=new)
            if locked.state == State.PUBLISHED:
                latest = _new_version(
                    locked, locked.version + 1, text_changes.get("title", latest.title),
                    text_changes.get("body", latest.body), actor=actor, now=now,
                )  # fmt: skip
                _audit(actor, locked, "new_version", field="state", old=State.PUBLISHED, new=State.DRAFT)
                locked.latest, locked.version, locked.state = latest, latest.version, State.DRAFT
            else:
                latest.title = text_changes.get("title", latest.title)
                latest.body = text_changes.get("body", latest.body)
                latest.body_html = markdown.render(latest.body)
                latest.updated_by, latest.updated_at = actor, now
                latest.save(update_fields=["title", "body", "body_html", "updated_by", "updated_at"])
            changed.extend(text_changes)
        if not changed:
            return locked
        locked.updated_at = now
        locked.save()
        mark_readers(locked)
        _emit("updated", locked, actor, data={"fields": sorted(changed), "version": locked.version})
    return locked


def do_transition_article(article: Article, to: str, *, actor: User) -> Article:
    _agents_only(actor)
    with audit.action_transaction():
        locked = _lock(article)
        if to == locked.state:
            return locked
        allowed = transitions.allowed_next_states(locked.state)
        if to not in allowed:
            raise Conflict(
                f"{locked.number} cannot go from {locked.state} to {to}; allowed: {', '.join(allowed) or 'none'}.",
                allowed=allowed,
            )
        now = timezone.now()
        old = locked.state
        locked.state, locked.updated_at = to, now
        if to == State.PUBLISHED:
            ArticleVersion.objects.filter(article=locked, version=locked.version).update(
                published_by=actor, published_at=now
            )
            locked.published_id = locked.latest_id
        locked.save(update_fields=["state", "published", "updated_at"])
        mark_readers(locked)
        _audit(actor, locked, "transition", field="state", old=old, new=to)
        _emit("state_changed", locked, actor, data={"from": old, "to": to, "version": locked.version})
    return locked


def do_record_deflection(article: Article, *, actor: User) -> Deflection | None:
    """ "This solved my problem" on a published article; the same person again within a day counts once."""
    with audit.action_transaction():
        locked = _lock(article)
        if locked.published_id is None or locked.state == State.RETIRED:
            raise Conflict(f"{locked.number} is not published.")
        now = timezone.now()
        if Deflection.objects.filter(article=locked, user=actor, at__gte=now - DEFLECTION_WINDOW).exists():
            return None
        published = ArticleVersion.objects.filter(article=locked, published_at__isnull=False).order_by("-version")
        version = published[0].version  # the published pointer is always the latest version published
        deflection = Deflection.objects.create(article=locked, user=actor, version=version, at=now)
        _audit(actor, locked, "deflection", new=f"v{version}")
        _emit("deflected", locked, actor, data={"version": version})
    return deflection


def _agents_only(actor: User) -> None:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents write knowledge articles.")


def _lock(article: Article) -> Article:
    locked = Article.objects.select_for_update().filter(pk=article.pk).first()
    if locked is None:
        raise NotFound(f"Article {article.number} not found.")
    return locked


def _new_version(article: Article, number: int, title: str, body: str, *, actor: User, now: Any) -> ArticleVersion:
    return ArticleVersion.objects.create(
        article=article, version=number, title=title, body=body, body_html=markdown.render(body),
        created_by=actor, created_at=now, updated_by=actor, updated_at=now,
    )  # fmt: skip


def _update_metadata(article: Article, values: ArticleValues, *, actor: User) -> list[str]:
    changed: list[str] = []
    if "audience" in values.given and values.audience != article.audience:
        _audit(actor, article, "updated", field="audience", old=article.audience, new=values.audience)
        article.audience = values.audience
        changed.append("audience")
    if "problem" in values.given and values.problem != article.problem:
        _audit(actor, article, "updated", field="problem", old=article.problem, new=values.problem)
        article.problem = values.problem
        changed.append("problem")
    if values.cis is not None:
        old = sorted(article.cis.values_list("name", flat=True))
        new = sorted(c.name for c in values.cis)
        if old != new:
            _set_cis(article, values.cis)
            _audit(actor, article, "updated", field="cis", old=old, new=new)
            changed.append("cis")
    return changed


def _set_cis(article: Article, cis: list[Any]) -> None:
    ArticleCI.objects.filter(article=article).delete()  # a link row, not a record: the audit keeps the list
    ArticleCI.objects.bulk_create([ArticleCI(article=article, ci=ci) for ci in cis])


def _audit(actor: User, article: Article, action: str, **kwargs: Any) -> None:
    audit.record(actor=actor, record_type=RECORD_TYPE, record_id=article.pk, record_label=article.number,
                 action=action, **kwargs)  # fmt: skip


def _emit(what: str, article: Article, actor: User, data: dict[str, Any] | None = None) -> None:
    record_event(f"knowledge.{what}", record_type=RECORD_TYPE, record=article, actor=actor, data=data)
