"""Knowledge pages: the agents' list, article page and editor, the preview and the suggestions panel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.core.errors import DomainError
from plantdesk.core.history import history_for
from plantdesk.problems.knowledge import actions, markdown, queries, transitions
from plantdesk.problems.knowledge.choices import Audience, State
from plantdesk.problems.knowledge.forms import ArticleForm
from plantdesk.problems.knowledge.models import RECORD_TYPE, Article
from plantdesk.problems.knowledge.search import suggest
from plantdesk.problems.knowledge.serializers import article_to_dict
from plantdesk.ui.htmx import fulfiller_required, redirect_after_post, run_form_action, signed_in_user

LIST_SIZE = 50
TRANSITION_LABELS = {
    State.REVIEW: _("Submit for review"),
    State.PUBLISHED: _("Publish"),
    State.DRAFT: _("Back to draft"),
    State.RETIRED: _("Retire"),
}


def _to_portal_list(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponseRedirect(reverse("ui:portal-knowledge"))


def _to_portal_article(request: HttpRequest, number: str) -> HttpResponse:
    return HttpResponseRedirect(reverse("ui:portal-knowledge-detail", args=[number]))


def visible_or_404(request: HttpRequest, number: str) -> Article:
    article = queries.get_visible(signed_in_user(request), number)
    if article is None:
        raise Http404(_("No such article."))
    return article


def article_url(article: Article) -> str:
    return reverse("ui:knowledge:detail", args=[article.number])


@require_GET
@fulfiller_required(_to_portal_list)
def article_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    q = request.GET.get("q", "")[:200]
    state = request.GET.get("state", "")
    audience = request.GET.get("audience", "")
    filters = queries.ArticleFilters(
        state=state if state in State.values else None, audience=audience if audience in Audience.values else None
    )
    hits = queries.search_articles(user, q, filters, limit=LIST_SIZE)
    return render(request, "knowledge/list.html", {
        "rows": [shown(h.article, user) for h in hits], "q": q, "state": state, "audience": audience,
        "states": State.choices, "audiences": Audience.choices,
    })  # fmt: skip


def shown(article: Article, user: Any) -> dict[str, Any]:
    """The API's view of an article with the labels a page shows for its codes."""
    data = article_to_dict(article, user)
    return {**data, "state_label": State(data["state"]).label, "audience_label": Audience(data["audience"]).label}


def _detail_context(request: HttpRequest, article: Article) -> dict[str, Any]:
    user = signed_in_user(request)
    return {
        "article": shown(article, user),
        "versions": list(queries.versions_of(user, article)),
        "history": history_for(RECORD_TYPE, article.pk, include_internal=True),
        "actions": [{"to": to, "label": TRANSITION_LABELS[State(to)]} for to in transitions.allowed_next_states(
            article.state)],
    }  # fmt: skip


@require_GET
@fulfiller_required(_to_portal_article)
def article_detail(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, "knowledge/detail.html", _detail_context(request, visible_or_404(request, number)))


@require_POST
@fulfiller_required(_to_portal_article)
def article_transition(request: HttpRequest, number: str) -> HttpResponse:
    article = visible_or_404(request, number)
    try:
        actions.do_transition_article(article, request.POST.get("to", ""), actor=signed_in_user(request))
        messages.success(request, _("%(number)s updated.") % {"number": article.number})
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect_after_post(request, article_url(article))


@require_http_methods(["GET", "POST"])
@fulfiller_required(_to_portal_list)
def article_new(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None)
    status: int | None = 200
    if request.method == "POST":
        article, status = run_form_action(
            form, lambda: actions.do_create_article(form.action_data(), actor=signed_in_user(request))
        )
        if article is not None:
            messages.success(request, _("%(number)s created as a draft.") % {"number": article.number})
            return redirect_after_post(request, article_url(article))
    return render(request, "knowledge/edit.html", {"form": form, "article": None}, status=status or 400)


@require_http_methods(["GET", "POST"])
@fulfiller_required(_to_portal_article)
def article_edit(request: HttpRequest, number: str) -> HttpResponse:
    article = visible_or_404(request, number)
    data = shown(article, signed_in_user(request))
    initial = {**data, "cis": ", ".join(data["cis"]), "problem": data["problem"] or ""}
    form = ArticleForm(request.POST or None, initial=initial)
    status: int | None = 200
    if request.method == "POST":
        done, status = run_form_action(
            form, lambda: actions.do_update_article(article, form.action_data(), actor=signed_in_user(request))
        )
        if done is not None:
            messages.success(request, _("%(number)s saved.") % {"number": article.number})
            return redirect_after_post(request, article_url(article))
    return render(request, "knowledge/edit.html", {"form": form, "article": data}, status=status or 400)


@require_POST
@fulfiller_required(_to_portal_list)
def preview(request: HttpRequest) -> HttpResponse:
    """The editor's Markdown preview: the same rendering and sanitising as a saved article."""
    html = markdown.render(request.POST.get("body", "")[:50000])
    return render(request, "knowledge/_preview.html", {"body_html": html})


@require_GET
@login_required
def suggestions(request: HttpRequest) -> HttpResponse:
    """The panel beside an incident form: what may already answer what is being typed."""
    user = signed_in_user(request)
    text = (request.GET.get("q") or request.GET.get("short_description") or "")[:200]
    found = suggest(user, text, request.GET.get("ci", "")[:255])
    page = "ui:portal-knowledge-detail" if not user.is_fulfiller else "ui:knowledge:detail"
    articles = [
        {
            "number": hit.article.number,
            "title": queries.shown_version(user, hit.article).title,
            "url": reverse(page, args=[hit.article.number]),
        }
        for hit in found.articles
    ]
    context = {"found": found, "known_errors": found.known_errors, "articles": articles}
    return render(request, "knowledge/_suggestions.html", context)
