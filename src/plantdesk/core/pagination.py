"""List paging with a bounded count (CONTRACT.md section 2: estimate above 10,000 rows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import QuerySet

EXACT_COUNT_LIMIT = 10_000


def bounded_count(qs: QuerySet[Any]) -> tuple[int, bool]:
    """The row count, exact up to EXACT_COUNT_LIMIT; above it the planner's estimate (PostgreSQL)."""
    capped = qs.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if capped <= EXACT_COUNT_LIMIT:
        return capped, True
    if connection.vendor != "postgresql":
        return qs.count(), True
    sql, params = qs.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return max(estimate, EXACT_COUNT_LIMIT + 1), False


T = TypeVar("T")
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a UI list, with what the pager shows."""

    rows: list[T]
    number: int
    count: int
    count_exact: bool
    size: int = PAGE_SIZE

    @property
    def last(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def first_row(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.last


def paginate(
    qs: QuerySet[Any],
    page: int,
    *,
    load: Callable[[QuerySet[Any], int, int], list[T]] | None = None,
    size: int = PAGE_SIZE,
) -> Page[T]:
    """Page `page` of an ordered queryset; past the end shows the last page rather than an empty one.
    `load` fetches the rows (e.g. with their related rows); by default a plain slice. Pages of tall rows
    (cards, windows) take a smaller `size`."""
    count, exact = bounded_count(qs)
    number = min(max(page, 1), max(1, -(-count // size)))
    offset = (number - 1) * size
    rows = load(qs, offset, size) if load else list(qs[offset : offset + size])
    return Page(rows=rows, number=number, count=count, count_exact=exact, size=size)
