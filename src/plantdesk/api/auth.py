"""API authentication: a bearer token (stored hashed) or the browser session with its CSRF token."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer, SessionAuth

from plantdesk.accounts.models import User
from plantdesk.accounts.tokens import AccountRefused, check_token


class RefusedAccount(AuthenticationError):
    """A known token of an account that may not act (locked, deactivated): 401 saying why."""

    def __init__(self, detail: str) -> None:
        super().__init__()
        self.detail = detail


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        try:
            user = check_token(token)
        except AccountRefused as refused:
            raise RefusedAccount(str(refused)) from None
        if user is not None:
            request.user = user
        return user


class ActiveSessionAuth(SessionAuth):
    """The logged-in browser session (ninja checks the CSRF token for unsafe methods). A locked or deactivated
    account's session has already been ended by AccountStandingMiddleware, which answers 401 itself."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


def actor_of(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
