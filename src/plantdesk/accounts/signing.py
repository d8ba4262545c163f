"""Re-authentication for electronic signatures (21 CFR 11.200): the signer's password again, counted
toward the account lockout. `core.signatures` binds the signature; this checks who gives it."""

from __future__ import annotations

from django.http import HttpRequest

from plantdesk.accounts.backends import clear_failures, is_locked_out, record_failure
from plantdesk.accounts.models import User
from plantdesk.core.errors import Forbidden


def check_signing_password(user: User, password: str | None, request: HttpRequest | None = None) -> None:
    """Re-authenticate the signer. A wrong or missing password is refused (403) and counted; the count is
    committed even though the caller's action then fails, so the lockout cannot be dodged."""
    if is_locked_out(user.username):
        raise Forbidden.for_field("password", "Too many wrong passwords: the account is locked for now.")
    if password and user.check_password(password):
        clear_failures(user.username)
        return
    # Callers check before opening their action transaction, so the refusal does not roll this back.
    record_failure(user.username, request)
    locked = " The account is now locked." if is_locked_out(user.username) else ""
    raise Forbidden.for_field("password", "The password is wrong; the signature was not given." + locked)
