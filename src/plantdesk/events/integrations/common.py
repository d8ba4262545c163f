"""What the HTTP adapters share: the body limit, strict JSON, the integration-account key lookup, and a check
that every string in a payload can be stored (PostgreSQL refuses NUL in text and lone surrogates anywhere)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from plantdesk.accounts.models import User
from plantdesk.accounts.tokens import user_for_token
from plantdesk.events.api import MAX_BODY  # one limit for every way events come in
from plantdesk.events.ingest import Unreadable, read_json, unstorable


def body_of(request: HttpRequest) -> bytes | None:
    """The request body, or None when it is larger than MAX_BODY (checked before reading when announced)."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > MAX_BODY:
        return None
    try:
        body = request.body
    except RequestDataTooBig:  # above Django's own limit: larger than ours anyway
        return None
    return None if len(body) > MAX_BODY else body


def parse(body: bytes) -> tuple[str, Any]:
    """The body as text and as a JSON value; Unreadable if it is neither UTF-8 JSON nor storable."""
    text, document = read_json(body)
    where = unstorable(document)
    if where:
        raise Unreadable(f"{where}: contains a NUL character or a lone surrogate, which cannot be stored.")
    return text, document


def integration_for(key: str) -> User | None:
    """The active integration account whose API token is `key` (tokens are stored hashed), else None."""
    user = user_for_token(key)
    return user if user is not None and user.is_integration else None


def instant(value: Any, *, naive_is_utc: bool = False) -> str | None:
    """`value` as an ISO 8601 time with its offset (the form the native event wants), or None if it is not
    one. Alertmanager sends nanoseconds and a Z; PagerDuty clients send +0000 and sometimes no offset."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        if not naive_is_utc:
            return None
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


def short_hash(*parts: str, length: int = 32) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:length]


def compact(value: Any) -> str:
    """JSON text as the adapters keep it: compact, in the order received, non-ASCII left readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response
