"""Map every failure to CONTRACT.md's error body: {"detail": "...", "errors": [{"field", "message"}]}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as ModelValidationError
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.openapi.schema import REF_TEMPLATE

from plantdesk.core.errors import Conflict, DomainError

# The statuses every operation may answer with the error body (CONTRACT.md section 2), documented on each.
ERROR_RESPONSES = {
    400: "Invalid input, refused by the domain (an unknown reference, a rule across fields); the fields are named.",
    401: "Authentication required: a bearer token or a logged-in session.",
    403: "Not allowed for this user (role or site).",
    404: "No such record, or none this user can see.",
    409: "An invalid transition or a stale update; `allowed` lists the transitions open from the current state.",
    413: "The request body is too large.",
    422: "The request does not match the documented schema; the fields are named.",
}


class FieldErrorOut(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    """CONTRACT.md's error body."""

    detail: str
    errors: list[FieldErrorOut]
    allowed: list[str] | None = None


def error_body(detail: str, errors: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or [], **extra}


def _field_of(loc: Any) -> str:
    """Pydantic's location, less the request part ('body', 'query') and the schema's parameter name."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data", "filters")]
    return ".".join(parts) or "body"


def install_error_handlers(api: NinjaAPI) -> None:
    _document_error_responses(api)

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
        # A refused account's token says why (plantdesk.api.auth.RefusedAccount); otherwise what to send.
        default = "Authentication required: send 'Authorization: Bearer <token>' or log in."
        detail = getattr(exc, "detail", None) or default
        body = error_body(detail)
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

    @api.exception_handler(ModelValidationError)
    def invalid_record(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
        # A model invariant (clean(), full_clean()) that the action's own checks did not catch first: still bad
        # input, and the transaction around the write has rolled back.
        by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        errors = [
            {"field": "body" if field == NON_FIELD_ERRORS else field, "message": message}
            for field, messages in by_field.items()
            for message in messages
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid input."
        return api.create_response(request, error_body(detail, errors), status=400)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return api.create_response(request, error_body("The request body is larger than 1 MiB."), status=413)


def _document_error_responses(api: NinjaAPI) -> None:
    """Declare ERROR_RESPONSES with the error body on every operation of the OpenAPI document, in one place, so
    that an operation added later is documented (and fuzzed against it) from its first day."""
    generate = api.get_openapi_schema

    def get_openapi_schema(*, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> Any:
        document = generate(path_prefix=path_prefix, path_params=path_params)
        schema = ErrorOut.model_json_schema(ref_template=REF_TEMPLATE)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in {**schema.pop("$defs", {}), "ErrorOut": schema}.items():
            if components.setdefault(name, definition) != definition:
                raise RuntimeError(f"Two API schemas are named {name}: give one a name of its own.")
        body = {"application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="ErrorOut")}}}
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    if status not in responses and str(status) not in responses:
                        responses[status] = {"description": description, "content": body}
        return document

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]
