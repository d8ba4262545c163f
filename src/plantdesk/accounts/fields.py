"""Record fields that name people, groups and sites (by username, group name, site code)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantdesk.accounts.lookups import active_user, group_named, site_coded
from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.core.errors import InvalidInput
from plantdesk.core.fields import Errors


def user_field(
    value: Any, field: str, errors: Errors, *, fulfiller_for: str = "", required: bool = False
) -> User | None:
    """An active user by username. `fulfiller_for` ("work incidents"): a requester cannot be named here."""
    if value in (None, ""):
        if required:
            errors.add(field, "This field is required.")
        return None
    if not isinstance(value, str):
        errors.add(field, "Must be a username.")
        return None
    user = active_user(value)
    if user is None:
        errors.add(field, f"Unknown user {value!r}.")
    elif fulfiller_for and not user.is_fulfiller:
        errors.add(field, f"{value!r} is a requester and cannot {fulfiller_for}.")
    return user


def group_field(value: Any, field: str, errors: Errors) -> AssignmentGroup | None:
    if value in (None, ""):
        return None
    group = group_named(value) if isinstance(value, str) else None
    if group is None:
        errors.add(field, f"Unknown assignment group {value!r}.")
    return group


def site_field(value: Any, field: str, errors: Errors) -> Site | None:
    if value in (None, ""):
        return None
    site = site_coded(value) if isinstance(value, str) else None
    if site is None:
        errors.add(field, f"Unknown site {value!r}.")
    return site


def refuse_site_removal(current_site_id: int | None, values: Mapping[str, Any], *, actor: User) -> None:
    """Only an administrator may take a record's site away: a record without a site leaves every site's desk
    (only administrators and its own parties see it), so an agent could otherwise hide a record, journal and
    all, from the site it belongs to."""
    if "site" in values and values["site"] is None and current_site_id is not None and not actor.is_plantdesk_admin:
        raise InvalidInput.for_field("site", "Only an administrator can remove a record's site; pick another site.")
