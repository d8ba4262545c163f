"""The read side of changes: permission scopes (ARCHITECTURE rule 5) and loaders."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext, gettext_noop

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.changes.choices import FINAL_STATES, ReviewOutcome, State
from plantdesk.changes.models import Approval, ChangeRequest, StandardChangeTemplate, Window

NOTHING = Q(pk__in=[])
# Who plans windows and signs conflict overrides.
CHANGE_AUTHORITIES = frozenset({Role.CHANGE_MANAGER, Role.ADMIN})

HIDDEN_OVERLAP = gettext_noop("Another change, at a site you do not work for, overlaps.")


def change_scope(user: User, action: Action) -> Q | None:
    """Requesters see the changes they raised; agents those of their sites and those assigned to them. One
    without a site (enterprise-wide) is its parties' and the administrators' only."""
    own = Q(requested_by=user)
    if not user.is_fulfiller:
        return own if action == "view" else NOTHING
    mine = own | Q(site__in=user_site_ids(user)) | Q(assignee=user)
    # An approver asked to decide on another site's change must be able to read it.
    return mine | Q(Exists(Approval.objects.filter(change=OuterRef("pk"), approver=user))) if action == "view" else mine


def approval_scope(user: User, action: Action) -> Q | None:
    if action == "change":
        return Q(approver=user)
    if not user.is_fulfiller:
        return Q(approver=user)
    parties = Q(change__requested_by=user) | Q(change__assignee=user)
    return Q(change__site__in=user_site_ids(user)) | parties | Q(approver=user)


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


NUMBER_PATTERN = re.compile(r"CHG\d{7,}")


def get_visible(user: User, number: str) -> ChangeRequest | None:
    if not NUMBER_PATTERN.fullmatch(number.upper()):
        return None  # not a change number (and never a NUL byte PostgreSQL would refuse)
    return with_related(visible_changes(user)).filter(number=number.upper()).first()


def filter_changes(
    qs: QuerySet[ChangeRequest],
    *,
    states: list[str] | None = None,
    type: str | None = None,
    site: str | None = None,
    ci: str | None = None,
    q: str | None = None,
) -> QuerySet[ChangeRequest]:
    if states:
        qs = qs.filter(state__in=states)
    if type:
        qs = qs.filter(type=type)
    if site:
        qs = qs.filter(site__code=site)
    if ci:
        qs = qs.filter(ci_links__ci__name=ci)
    if q:
        qs = qs.filter(Q(number__iexact=q.strip()) | Q(short_description__icontains=q.strip()))
    return qs


def success_rate(qs: QuerySet[ChangeRequest]) -> dict[str, Any]:
    """Closed changes by review outcome; successful ones (with or without issues) over all reviewed."""
    counts = dict(
        qs.filter(state=State.CLOSED)
        .values_list("review_outcome")
        .annotate(n=Count("id"))
        .values_list("review_outcome", "n")
    )
    reviewed = sum(counts.values())
    good = counts.get(ReviewOutcome.SUCCESSFUL, 0) + counts.get(ReviewOutcome.SUCCESSFUL_WITH_ISSUES, 0)
    return {
        "closed": reviewed,
        "by_outcome": {o: counts.get(o, 0) for o in ReviewOutcome.values},
        "success_rate": round(good / reviewed, 4) if reviewed else None,
    }


def conflicts_for(user: User, change: ChangeRequest) -> list[dict[str, Any]]:
    """The stored conflicts as this user may read them: another change they cannot see is not named (its
    number and assignee stay behind the permission scope), only that it exists."""
    rows = list(change.conflicts.select_related("ci", "other_change").order_by("kind", "id"))
    others = {c.other_change_id for c in rows if c.other_change_id is not None}
    visible = set(visible_changes(user).filter(pk__in=others).values_list("pk", flat=True)) if others else set()
    items = []
    for conflict in rows:
        hidden = conflict.other_change_id is not None and conflict.other_change_id not in visible
        items.append({
            "kind": conflict.kind,
            "kind_label": conflict.get_kind_display(),
            "detail": gettext(HIDDEN_OVERLAP) if hidden else conflict.detail,
            "ci": conflict.ci.name if conflict.ci is not None else None,
            "window": conflict.window_id,
            "change": None if hidden or conflict.other_change is None else conflict.other_change.number,
            "overridden": conflict.key in change.override_keys,
        })  # fmt: skip
    return items


def suggest_changes(user: User, typed: str, limit: int = 15) -> list[tuple[str, str]]:
    """(number, short description) of the open changes the user may see whose number starts with `typed` or
    whose short description holds it (the fix-change picker of a problem), newest first."""
    live = visible_changes(user).exclude(state__in=list(FINAL_STATES))
    matching = live.filter(Q(number__istartswith=typed) | Q(short_description__icontains=typed))
    return list(matching.order_by("-opened_at", "-id").values_list("number", "short_description")[:limit])


def suggest_templates(user: User, typed: str, limit: int = 15) -> list[tuple[str, str]]:
    """(name, short description) of the active standard-change templates whose name or description holds `typed`."""
    templates = restrict(user, "view", StandardChangeTemplate).filter(active=True)
    matching = templates.filter(Q(name__icontains=typed) | Q(short_description__icontains=typed))
    return list(matching.order_by("name").values_list("name", "short_description")[:limit])
