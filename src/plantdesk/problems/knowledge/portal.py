"""The requesters' knowledge: search public published articles, read one, say it solved the problem."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from plantdesk.core.errors import DomainError
from plantdesk.problems.knowledge import actions, queries
from plantdesk.problems.knowledge.views import shown, visible_or_404
from plantdesk.ui.htmx import redirect_after_post, signed_in_user

LIST_SIZE = 30


@require_GET
@login_required
def portal_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    q = request.GET.get("q", "")[:200]
    # Even an agent sees the portal as a requester does: public and published only.
    hits = queries.search_articles(user, q, queries.ArticleFilters(as_requester=True), limit=LIST_SIZE)
    return render(request, "knowledge/portal_list.html", {"rows": [shown(h.article, user) for h in hits],
                                                            "q": q})  # fmt: skip


@require_GET
@login_required
def portal_detail(request: HttpRequest, number: str) -> HttpResponse:
    article = visible_or_404(request, number)
    return render(request, "knowledge/portal_detail.html", {"article": shown(article, signed_in_user(request))})


@require_POST
@login_required
def solved(request: HttpRequest, number: str) -> HttpResponse:
    article = visible_or_404(request, number)
    try:
        actions.do_record_deflection(article, actor=signed_in_user(request))
        messages.success(request, _("Glad it helped. No incident needed: thank you for telling us."))
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect_after_post(request, reverse("ui:portal-knowledge-detail", args=[number]))
