"""Sessions that end when they must (21 CFR 11.300, EU Annex 11 section 12): when the account is locked or
deactivated, and after PLANTDESK_SESSION_IDLE_MINUTES without activity (CONTRACT.md section 14)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from plantdesk.accounts.backends import DEACTIVATED, account_refusal
from plantdesk.accounts.models import User

LAST_ACTIVITY = "plantdesk_last_activity"
# Recording every request would write the session on every click; once a minute is enough, and rounding
# this way ends a session at most a minute early, never late.
ACTIVITY_GRANULARITY_SECONDS = 60
# Requests a page makes on its own (a console refreshing itself) carry this header; they are not activity,
# otherwise a console left open would never time out. A polling element says so with
# hx-headers='{"X-PlantDesk-Background": "poll"}' (events/_console_results.html).
BACKGROUND_HEADER = "X-PlantDesk-Background"
# The API answers JSON (plantdesk.api.middleware); the pages, their htmx partials and the API docs page not.
API_PREFIX = "/api/"
API_DOCS_PREFIX = "/api/v1/docs"


def is_background_poll(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and BACKGROUND_HEADER in request.headers


class SessionGuardMiddleware:
    """Ends the session of a refused account or an idle one, and tells the user why. Runs after the
    authentication and message middleware; costs no query beyond loading the session's user, which carries
    its lock state (ThrottledModelBackend.get_user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = self._reason_to_end(request) if SESSION_KEY in request.session else None
        if reason is not None:
            return self._end(request, reason)
        response = self.get_response(request)
        if SESSION_KEY in request.session and LAST_ACTIVITY not in request.session:
            request.session[LAST_ACTIVITY] = int(time.time())  # signing in is the first activity
        return response

    def _reason_to_end(self, request: HttpRequest) -> str | None:
        user = request.user
        if not isinstance(user, User):
            # Loading the user flushed a session whose password has changed since (Django's own rule: nothing
            # to add), or the backend refused the session's user, which it does for an inactive account.
            return str(DEACTIVATED) if SESSION_KEY in request.session else None
        refusal = account_refusal(user)
        if refusal is not None:
            return refusal
        now = int(time.time())
        last = request.session.get(LAST_ACTIVITY)
        idle_minutes = settings.SESSION_IDLE_MINUTES
        if isinstance(last, int) and now - last > idle_minutes * 60:
            return _("You were signed out after %(minutes)s minutes without activity.") % {"minutes": idle_minutes}
        if not is_background_poll(request) and (
            not isinstance(last, int) or now - last >= ACTIVITY_GRANULARITY_SECONDS
        ):
            request.session[LAST_ACTIVITY] = now
        return None

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        is_api = request.path.startswith(API_PREFIX) and not request.path.startswith(API_DOCS_PREFIX)
        bearer = "Authorization" in request.headers
        logout(request)
        if is_api and bearer:
            # The call authenticates with its token; the stale session cookie beside it just ends.
            return self.get_response(request)
        if is_api:
            response: HttpResponse = JsonResponse({"detail": reason, "errors": []}, status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response
        messages.warning(request, reason)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return redirect_to_login(request.get_full_path())
