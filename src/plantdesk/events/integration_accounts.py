"""Writes behind the integration setup pages: an integration account with its first key, more keys, revoking
one. Built on the actions behind `plantdesk user add NAME --role requester --integration` and `plantdesk token
create NAME`, which trust their caller (the CLI acts as the system account); here an administrator is required,
because a key lets a machine open incidents in the plant's name."""

from __future__ import annotations

from django.utils import timezone

from plantdesk.accounts.actions import do_create_token, do_create_user
from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import ApiToken, User
from plantdesk.core import audit
from plantdesk.core.errors import Conflict, Forbidden

KEY_NAME = "integration key"


def _require_admin(actor: User) -> None:
    if not actor.is_plantdesk_admin:
        raise Forbidden("Integration accounts and their keys are managed by administrators.")


def _require_integration(account: User) -> None:
    if not account.is_integration:
        raise Conflict(f"{account.username} is a person's account, not an integration account.")


def do_create_integration_account(name: str, *, site: str, actor: User) -> tuple[User, str]:
    """The account (a requester: it raises, never works records) and its first key, shown once."""
    _require_admin(actor)
    with audit.action_transaction():
        account = do_create_user(
            name, role=Role.REQUESTER, actor=actor, sites=[site] if site else [], is_integration=True
        )
        return account, do_create_token(account, actor=actor, name=KEY_NAME)


def do_issue_integration_key(account: User, *, actor: User) -> str:
    """Another key (for rotation: issue the new one, reconfigure the sender, revoke the old one)."""
    _require_admin(actor)
    _require_integration(account)
    return do_create_token(account, actor=actor, name=KEY_NAME)


def do_revoke_integration_key(key: ApiToken, *, actor: User) -> ApiToken:
    """From now on requests with this key are refused (401); the row stays, for the audit trail."""
    _require_admin(actor)
    with audit.action_transaction():
        locked = ApiToken.objects.select_for_update().select_related("user").get(pk=key.pk)
        _require_integration(locked.user)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            audit.record(
                actor=actor, record_type="user", record_id=locked.user.pk, record_label=locked.user.username,
                action="token_revoked", old=locked.prefix + "…",
            )  # fmt: skip
    return locked
