"""The problem list: sortable columns and paging over the problem read side."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from plantdesk.accounts.models import User
from plantdesk.core import pagination
from plantdesk.core.pagination import Page
from plantdesk.problems import queries
from plantdesk.problems.choices import State
from plantdesk.problems.models import Problem
from plantdesk.problems.transitions import ORDER

# Workflow order, so sorting by state reads new -> assess -> ... rather than alphabetically.
_STATE_RANK = Case(
    *(When(state=state.value, then=Value(rank)) for rank, state in enumerate([State.NEW, *ORDER])),
    default=Value(99), output_field=IntegerField(),
)  # fmt: skip

SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "priority": ("priority", "opened_at"),
    "number": ("number",),
    "opened": ("opened_at",),
    "state": ("state_rank", "priority"),
}
DEFAULT_SORT = "priority"


def filtered(user: User, cleaned: dict[str, Any]) -> QuerySet[Problem]:
    filters = queries.ProblemFilters(
        state=[cleaned["state"]] if cleaned.get("state") else None,
        assignment_group=cleaned.get("assignment_group") or None,
        assignee=user.username if cleaned.get("mine") else None,
        q=cleaned.get("q") or None,
        open_only=(cleaned.get("show") or "open") == "open" and not cleaned.get("state"),
    )
    return queries.filter_problems(queries.visible_problems(user), filters)


def sorted_queryset(qs: QuerySet[Problem], sort: str) -> QuerySet[Problem]:
    descending = sort.startswith("-")
    columns = SORT_COLUMNS.get(sort.lstrip("-"), SORT_COLUMNS[DEFAULT_SORT])
    if "state_rank" in columns:
        qs = qs.annotate(state_rank=_STATE_RANK)
    ordering = [F(c).desc() if descending else F(c).asc() for c in columns]
    return qs.order_by(*ordering, "-id" if descending else "id")


def paginate(qs: QuerySet[Problem], page: int, size: int = pagination.PAGE_SIZE) -> Page[Problem]:
    return pagination.paginate(qs, page, load=queries.page_of, size=size)
