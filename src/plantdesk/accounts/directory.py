"""Whom and which groups a person may pick in a form (the pickers' suggestions), read through restrict().

People are seen by the desk: an agent sees the people of their own sites (and those with no site yet), an
administrator everyone; a requester sees only themself. Assignment groups are the desk's directory: every
agent sees them all, a requester none."""

from __future__ import annotations

from django.db.models import Q

from plantdesk.accounts.choices import FULFILLER_ROLES
from plantdesk.accounts.models import AssignmentGroup, User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids

NOTHING = Q(pk__in=[])


def person_scope(user: User, action: Action) -> Q | None:
    if action != "view" or not user.is_fulfiller:
        return Q(pk=user.pk) if action == "view" else NOTHING
    return Q(sites__in=user_site_ids(user)) | Q(sites__isnull=True) | Q(pk=user.pk)


def group_scope(user: User, action: Action) -> Q | None:
    return None if action == "view" and user.is_fulfiller else NOTHING


def register_scopes() -> None:
    register_scope(User, person_scope)
    register_scope(AssignmentGroup, group_scope)


def suggest_people(user: User, typed: str, *, fulfillers_only: bool, limit: int = 15) -> list[tuple[str, str]]:
    """(username, full name) of active people whose username, first or last name starts with `typed`."""
    people = restrict(user, "view", User).filter(is_active=True, is_integration=False)
    if fulfillers_only:
        people = people.filter(role__in=list(FULFILLER_ROLES))
    matching = people.filter(
        Q(username__istartswith=typed) | Q(first_name__istartswith=typed) | Q(last_name__istartswith=typed)
    )
    rows = matching.distinct().order_by("first_name", "last_name", "username")
    return [
        (username, f"{first} {last}".strip())
        for username, first, last in rows.values_list("username", "first_name", "last_name")[:limit]
    ]


def suggest_groups(user: User, typed: str, limit: int = 15) -> list[tuple[str, str]]:
    """(name, description) of the groups whose name has a word starting with `typed`."""
    groups = restrict(user, "view", AssignmentGroup)
    matching = groups.filter(Q(name__istartswith=typed) | Q(name__icontains=f" {typed}"))
    return list(matching.order_by("name").values_list("name", "description")[:limit])
