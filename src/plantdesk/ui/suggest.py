"""Suggestion views of the kernel's pickers: people (callers, assignees) and assignment groups. Each answers
the options of ui/_suggestions.html for what was typed, read through accounts.directory (restrict())."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plantdesk.accounts import directory
from plantdesk.ui.htmx import signed_in_user
from plantdesk.ui.widgets import MIN_CHARS, typed_text


def render_suggestions(request: HttpRequest, options: Sequence[tuple[str, str]]) -> HttpResponse:
    """The options for the picker that asked (htmx names its listbox in HX-Target: the options' ids)."""
    listbox = request.headers.get("HX-Target", "suggestions")
    return render(request, "ui/_suggestions.html", {"options": options, "listbox": listbox})


def typed_or_none(request: HttpRequest) -> str | None:
    typed = typed_text(request.GET.dict())
    return typed if len(typed) >= MIN_CHARS else None


def _people(request: HttpRequest, *, fulfillers_only: bool) -> HttpResponse:
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    options = directory.suggest_people(signed_in_user(request), typed, fulfillers_only=fulfillers_only)
    return render_suggestions(request, options)


@require_GET
@login_required
def people(request: HttpRequest) -> HttpResponse:
    """Active people, e.g. callers."""
    return _people(request, fulfillers_only=False)


@require_GET
@login_required
def agents(request: HttpRequest) -> HttpResponse:
    """Active people who work records: assignees."""
    return _people(request, fulfillers_only=True)


@require_GET
@login_required
def groups(request: HttpRequest) -> HttpResponse:
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    return render_suggestions(request, directory.suggest_groups(signed_in_user(request), typed))
