"""The read side of events: permission scopes (ARCHITECTURE rule 5)."""

from __future__ import annotations

from django.db.models import Q

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, user_site_ids
from plantdesk.events.models import Alert, InboxEvent, Silence

NOTHING = Q(pk__in=[])


def alert_scope(user: User, action: Action) -> Q | None:
    """Agents see the alerts of their sites and the unbound ones (someone must bind them); requesters none."""
    if not user.is_fulfiller:
        return NOTHING
    return Q(site__in=user_site_ids(user)) | Q(site__isnull=True)


def desk_scope(user: User, action: Action) -> Q | None:
    """The inbox and silences are the desk's tools: every agent, no requester."""
    return None if user.is_fulfiller else NOTHING


def silence_scope(user: User, action: Action) -> Q | None:
    """Agents see the silences of their sites and the plant-wide ones (administrators'); they change only
    those of their sites."""
    if not user.is_fulfiller:
        return NOTHING
    mine = Q(site__in=user_site_ids(user))
    return mine if action == "change" else mine | Q(site__isnull=True)


register_scope(Alert, alert_scope)
register_scope(Silence, silence_scope)
register_scope(InboxEvent, desk_scope)
