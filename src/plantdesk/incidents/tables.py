"""The agent queue: named views, sortable columns and paging over the incident read side."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import User
from plantdesk.core import pagination
from plantdesk.core.pagination import Page
from plantdesk.incidents import queries
from plantdesk.incidents.models import Incident
from plantdesk.incidents.transitions import ORDER
from plantdesk.slas.models import SLAClock

# The queue's columns a person may hide or show (ui.columns); number, priority, state and the description
# always show. The default fits 1366 px; the caller and the opening time are one click away.
QUEUE_COLUMNS = "incident_queue"
QUEUE_OPTIONAL_COLUMNS = (("caller", _("Caller")), ("group", _("Group")), ("assignee", _("Assignee")),
                          ("due", _("Due")), ("opened", _("Opened")), ("updated", _("Updated")))  # fmt: skip
QUEUE_DEFAULT_COLUMNS = ("group", "assignee", "due", "updated")

# Workflow order, so sorting by state reads new -> in progress -> ... rather than alphabetically.
_STATE_RANK = Case(
    When(state="new", then=Value(0)),
    *(When(state=s.value, then=Value(i + 1)) for i, s in enumerate(ORDER)),
    default=Value(99),
    output_field=IntegerField(),
)

SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "priority": ("priority", "opened_at"),
    "number": ("number",),
    "opened": ("opened_at",),
    "updated": ("updated_at",),
    "state": ("state_rank", "priority"),
    "due": ("sla_due",),
}
DEFAULT_SORT = "priority"


def view_queryset(user: User, view: str) -> QuerySet[Incident]:
    if view == "my_work":
        return queries.my_work(user)
    if view == "unassigned":
        return queries.unassigned_in_my_groups(user)
    if view == "my_groups":
        return queries.open_in_my_groups(user)
    visible = queries.visible_incidents(user)
    if view == "all":
        return visible
    return queries.filter_incidents(visible, queries.IncidentFilters(open_only=True))


def with_sla_due(qs: QuerySet[Incident]) -> QuerySet[Incident]:
    """`sla_due`: the soonest due date of the incident's running clocks (None when nothing is running)."""
    running = SLAClock.objects.filter(record_type="incident", record_id=OuterRef("pk"), stage=SLAClock.RUNNING)
    return qs.annotate(sla_due=Subquery(running.order_by("due_at").values("due_at")[:1]))


def sorted_queryset(qs: QuerySet[Incident], sort: str) -> QuerySet[Incident]:
    descending = sort.startswith("-")
    columns = SORT_COLUMNS.get(sort.lstrip("-"), SORT_COLUMNS[DEFAULT_SORT])
    if "state_rank" in columns:
        qs = qs.annotate(state_rank=_STATE_RANK)
    qs = with_sla_due(qs)
    # Incidents without a running clock sort last either way: "due soonest" means the ones that have a due.
    ordering = [F(c).desc(nulls_last=True) if descending else F(c).asc(nulls_last=True) for c in columns]
    return qs.order_by(*ordering, "-id" if descending else "id")


def paginate(qs: QuerySet[Incident], page: int, size: int = pagination.PAGE_SIZE) -> Page[Incident]:
    return pagination.paginate(qs, page, load=queries.page_of, size=size)


def filters_from(cleaned: dict[str, Any]) -> queries.IncidentFilters:
    return queries.IncidentFilters(
        state=[cleaned["state"]] if cleaned.get("state") else None,
        priority=[int(cleaned["priority"])] if cleaned.get("priority") else None,
        assignment_group=cleaned.get("assignment_group") or None,
        assignee=cleaned.get("assignee") or None,
        q=cleaned.get("q") or None,
    )
