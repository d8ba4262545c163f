"""Map every failure to CONTRACT.md's error body: {"detail": "...", "errors": [{"field", "message"}]}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from plantdesk.core.errors import Conflict, DomainError


def error_body(detail: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or [], **extra}


def _field_of(loc: Any) -> str:
    """Pydantic's location, less the request part ('body', 'query') and the schema's parameter name."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data", "filters")]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, Conflict) and exc.allowed is not None:
            extra["allowed"] = exc.allowed
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return api.create_response(request, error_body(exc.detail, errors, **extra), status=exc.status)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for err in exc.errors:
            field = _field_of(err.get("loc", ()))
            message = str(err.get("msg", "Invalid value."))
            if err.get("type") == "extra_forbidden":
                message = "Unknown field."
            errors.append({"field": field, "message": message})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input."
        return api.create_response(request, error_body(detail, errors), status=422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body("Authentication required: send 'Authorization: Bearer <token>' or log in.")
        response = api.create_response(request, body, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return api.create_response(request, error_body(str(exc) or "Forbidden."), status=403)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return api.create_response(request, error_body(str(exc)), status=exc.status_code)

    @api.exception_handler(DataError)
    def unstorable(request: HttpRequest, exc: DataError) -> HttpResponse:
        # A value the database cannot hold (a NUL character, an out-of-range number): bad input, not a crash.
        return api.create_response(
            request, error_body("The request contains a value that cannot be stored (e.g. a NUL character)."),
            status=400,
        )  # fmt: skip

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(request, error_body("The request body is larger than 1 MiB."), status=413)
