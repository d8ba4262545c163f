"""The change pickers: the standard-change catalog of the change form, and changes (a problem's fix change),
as the user may see them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from plantdesk.changes import queries
from plantdesk.ui.htmx import signed_in_user
from plantdesk.ui.suggest import render_suggestions, typed_or_none


@require_GET
@login_required
def templates(request: HttpRequest) -> HttpResponse:
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    return render_suggestions(request, queries.suggest_templates(signed_in_user(request), typed))


@require_GET
@login_required
def changes(request: HttpRequest) -> HttpResponse:
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    return render_suggestions(request, queries.suggest_changes(signed_in_user(request), typed))
