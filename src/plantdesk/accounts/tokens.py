"""API tokens: random, shown once, stored as SHA-256 (a fast hash is right for 256-bit random secrets)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from plantdesk.accounts.backends import RECENT_FAILURES, account_refusal, recent_failures
from plantdesk.accounts.models import ApiToken, User

TOKEN_PREFIX = "pd_"  # noqa: S105 - a public marker, not a secret
# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=token[:10], key_hash=hash_token(token))
    return token


class AccountRefused(Exception):
    """A valid token whose account may not act now (deactivated, or locked by failed sign-ins)."""


def user_for_token(token: str) -> User | None:
    """The token's user, or None for an unknown, revoked or refused token."""
    try:
        return check_token(token)
    except AccountRefused:
        return None


def check_token(token: str) -> User | None:
    """The token's user; None for an unknown or revoked token; AccountRefused when its account may not act.
    One query: the token, its user and the user's recent sign-in failures together."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .annotate(**{RECENT_FAILURES: recent_failures("user__username")})
        .filter(key_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if row is None:
        return None
    setattr(row.user, RECENT_FAILURES, getattr(row, RECENT_FAILURES))
    refusal = account_refusal(row.user)
    if refusal is not None:
        raise AccountRefused(refusal)
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
