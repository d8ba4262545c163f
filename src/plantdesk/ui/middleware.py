"""The signed-in person's language and date style for the pages (their settings page sets them). Runs after
authentication; before sign-in Django's LocaleMiddleware has picked the browser's language (else English).
The API stays English whoever calls it: its texts are an integration contract (docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from plantdesk.ui import dates

API_PREFIX = "/api/"


class UserLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in = bool(user and user.is_authenticated)
        if request.path.startswith(API_PREFIX):
            language = "en"
        else:
            language = (getattr(user, "language", "") if signed_in else "") or translation.get_language() or "en"
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        token = dates.activate_style(getattr(user, "date_format", "") if signed_in else "")
        try:
            return self.get_response(request)
        finally:
            dates.deactivate_style(token)
