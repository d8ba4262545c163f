"""Password authentication that refuses an account after repeated failures (login throttling)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plantdesk.accounts.models import LoginFailure, User

# The attribute a user row loaded with `recent_failures()` carries (see `get_user` and the token lookup).
RECENT_FAILURES = "recent_login_failures"


def _lockout_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str) -> bool:
    since = _lockout_start()
    return LoginFailure.objects.filter(username=username, at__gte=since).count() >= settings.LOGIN_FAILURE_LIMIT


def recent_failures(username_ref: str = "username") -> Coalesce:
    """The recent failures of the user a row refers to, as a subquery: loading a user (or a token with its
    user) and learning whether the account is locked then costs one query, not two."""
    failures = (
        LoginFailure.objects.filter(username=OuterRef(username_ref), at__gte=_lockout_start())
        .order_by()
        .values("username")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(failures, output_field=IntegerField()), 0)


def is_locked(user: User) -> bool:
    """Whether `user` is locked by failed sign-ins, from the row's annotation when it was loaded with one."""
    count: int | None = getattr(user, RECENT_FAILURES, None)
    if count is None:
        return is_locked_out(user.username)
    return count >= settings.LOGIN_FAILURE_LIMIT


DEACTIVATED = gettext_lazy("This account is deactivated: its API tokens and sessions are refused.")


def account_refusal(user: User) -> str | None:
    """Why `user` may not act at all right now (tokens and sessions alike), in words for whoever is refused."""
    if not user.is_active:
        return str(DEACTIVATED)
    if is_locked(user):
        return _(
            "This account is locked after repeated failed sign-ins: its API tokens and sessions are refused "
            "for %(minutes)s minutes."
        ) % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return None


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

    def get_user(self, user_id: Any) -> User | None:
        # The user behind every session request, loaded with its lock state (SessionGuardMiddleware).
        user = User.objects.annotate(**{RECENT_FAILURES: recent_failures()}).filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
