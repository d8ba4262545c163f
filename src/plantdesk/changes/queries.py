"""The read side of changes: permission scopes (ARCHITECTURE rule 5) and loaders."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.changes.models import Approval, ChangeRequest, StandardChangeTemplate, Window

NOTHING = Q(pk__in=[])
# Who plans windows and signs conflict overrides.
CHANGE_AUTHORITIES = frozenset({Role.CHANGE_MANAGER, Role.ADMIN})


def change_scope(user: User, action: Action) -> Q | None:
    """Requesters see the changes they raised; agents those of their sites and the enterprise-wide ones."""
    own = Q(requested_by=user)
    if not user.is_fulfiller:
        return own if action == "view" else NOTHING
    return own | Q(site__in=user_site_ids(user)) | Q(site__isnull=True) | Q(assignee=user)


def approval_scope(user: User, action: Action) -> Q | None:
    if action == "change":
        return Q(approver=user)
    if not user.is_fulfiller:
        return Q(approver=user)
    return Q(change__site__in=user_site_ids(user)) | Q(change__site__isnull=True) | Q(approver=user)


def desk_scope(user: User, action: Action) -> Q | None:
    """Windows and templates: every agent reads them; change managers maintain them."""
    if action == "view":
        return None if user.is_fulfiller else NOTHING
    return None if user.role in CHANGE_AUTHORITIES else NOTHING


register_scope(ChangeRequest, change_scope)
register_scope(Approval, approval_scope)
register_scope(Window, desk_scope)
register_scope(StandardChangeTemplate, desk_scope)


def visible_changes(user: User) -> QuerySet[ChangeRequest]:
    return restrict(user, "view", ChangeRequest)


def with_related(qs: QuerySet[ChangeRequest]) -> QuerySet[ChangeRequest]:
    return qs.select_related("site", "requested_by", "assignment_group", "assignee", "template").prefetch_related(
        "ci_links__ci"
    )


def get_visible(user: User, number: str) -> ChangeRequest | None:
    return with_related(visible_changes(user)).filter(number=number.upper()).first()
