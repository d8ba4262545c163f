"""What this app shows on other apps' pages: the fulfilment tasks beside the incidents of an agent's work
views (the incident queue), and the active access grants on a system's CI page."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.requests import queries
from plantdesk.requests.choices import GrantState
from plantdesk.requests.models import AccessGrant

PANEL_ROWS = 20


def queue_tasks(user: User, view: str) -> dict[str, Any]:
    """The tasks of the view: mine and my groups' (my work, my groups), or those nobody has taken."""
    tasks = queries.open_work(user)
    if view == "unassigned":
        tasks = tasks.filter(assignee__isnull=True)
    elif view == "my_work":
        tasks = tasks.filter(Q(assignee=user) | Q(assignee__isnull=True))
    rows = list(
        tasks.select_related("request_item__request__requested_for", "assignment_group", "assignee").order_by(
            "opened_at", "id"
        )[:PANEL_ROWS]
    )
    count = len(rows) if len(rows) < PANEL_ROWS else tasks.count()
    return {"tasks": rows, "task_count": count}


def ci_grants(user: User, ci: Any) -> dict[str, Any]:
    grants = restrict(user, "view", AccessGrant).filter(system=ci, state=GrantState.ACTIVE)
    rows = list(grants.select_related("user", "request_item").order_by("expires_at", "id")[:100])
    return {"grants": rows, "show_grants": bool(rows) or bool(getattr(ci, "gxp_relevant", False))}
