"""List paging with a bounded count (CONTRACT.md section 2: estimate above 10,000 rows)."""

from __future__ import annotations

import json
from typing import Any

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
