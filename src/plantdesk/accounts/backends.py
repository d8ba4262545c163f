"""Password authentication that refuses an account after repeated failures (login throttling)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from plantdesk.accounts.models import LoginFailure, User


def is_locked_out(username: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    return LoginFailure.objects.filter(username=username, at__gte=since).count() >= settings.LOGIN_FAILURE_LIMIT


def record_failure(username: str, request: HttpRequest | None) -> None:
    addr = request.META.get("REMOTE_ADDR") if request is not None else None
    LoginFailure.objects.create(username=username, remote_addr=addr or None)


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username:
            return None
        if is_locked_out(username):
            # No password check at all while locked: a correct guess must not be distinguishable.
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username, request)
            return None
        clear_failures(username)
        return user
