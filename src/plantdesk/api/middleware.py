"""JSON errors for every /api/ response, including those Django makes itself (unknown path, 405)."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse

API_PREFIX = "/api/"


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
            and not request.path.startswith(f"{API_PREFIX}v1/docs")
        ):
            detail = _detail(request, response)
            replacement = HttpResponse(
                json.dumps({"detail": detail, "errors": []}), status=response.status_code,
                content_type="application/json",
            )  # fmt: skip
            for header in ("Allow", "WWW-Authenticate", "Retry-After"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response


def _detail(request: HttpRequest, response: HttpResponse) -> str:
    if response.status_code == 405:
        return f"{request.method} is not allowed here; allowed: {response.get('Allow', 'none')}."
    if response.status_code == 404:
        return f"No API endpoint at {request.path}."
    try:
        return HTTPStatus(response.status_code).phrase + "."
    except ValueError:
        return "Request refused."
