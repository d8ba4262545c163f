"""Small helpers shared by the server-rendered views: HTMX detection, redirects, domain errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

from plantdesk.accounts.models import User
from plantdesk.core.errors import DomainError


def is_htmx(request: HttpRequest) -> bool:
    """A partial swap; a history-restore request wants the whole page, as a plain load would."""
    return request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """HTMX follows HX-Redirect with a full page load; a plain form post gets the usual 303."""
    if is_htmx(request):
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=303)


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Put each FieldError next to its form field; the rest (and a bare detail) above the form.

    A form whose fields are named differently from the action's (`attributes.model` -> `attr_model`)
    says where each goes with a `form_field_for(name)` method.
    """
    if not error.errors:
        form.add_error(None, error.detail)
        return
    field_for = getattr(form, "form_field_for", None) or (lambda name: name if name in form.fields else None)
    for item in error.errors:
        form.add_error(field_for(item.field), item.message)


def message_domain_error(request: HttpRequest, error: DomainError) -> None:
    """An action's refusal on a page without a form to hold it: each message as an error flash."""
    for text in [error.detail] if not error.errors else [e.message for e in error.errors]:
        messages.error(request, text)


T = TypeVar("T")


def run_form_action(form: forms.Form, action: Callable[[], T]) -> tuple[T | None, int | None]:
    """Validate the form, then call the action (which reads form.cleaned_data).

    (result, None) on success; otherwise (None, status): 400 for an invalid form, or the action's
    DomainError status with its messages put next to the form's fields.
    """
    if not form.is_valid():
        return None, 400
    try:
        return action(), None
    except DomainError as error:
        add_domain_error(form, error)
        return None, error.status


def signed_in_user(request: HttpRequest) -> User:
    """The user of a page that login_required (or fulfiller_required) guards."""
    user = request.user
    assert isinstance(user, User)
    return user


def agents_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A requester who opens an agent page with no portal counterpart is told why, on the 403 page (which
    says whom to ask), rather than being dropped on the portal without a word."""
    raise PermissionDenied(
        _("This page is for the service desk: agents, managers, change managers, QA and administrators.")
    )


def fulfiller_required(
    fallback: Callable[..., HttpResponse],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Agent pages; a requester who follows an agent link is sent to `fallback` (their portal page)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not getattr(request.user, "is_fulfiller", False):
                return fallback(request, *args, **kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """The same URL answers a fragment or a page; caches and the back button must keep them apart."""
    existing = response.get("Vary")
    response["Vary"] = f"{existing}, HX-Request" if existing else "HX-Request"
    return response
