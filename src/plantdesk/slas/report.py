"""Attainment: of the clocks that ended (met or breached) in a period, the share met, per month and per
assignment group, priority or site of their record; grouped in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.slas.measured import measured
from plantdesk.slas.models import SLAClock

DIMENSIONS = {"assignment_group": "assignment_group__name", "priority": "priority", "site": "site__code"}


@dataclass(frozen=True)
class Row:
    month: datetime
    key: str
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float:
        return round(100 * self.met / self.total, 1) if self.total else 0.0


def attainment(
    start: datetime, end: datetime, by: str, kind: str | None = None, *, user: User, record_type: str = "incident"
) -> list[Row]:
    """Rows per month and dimension value for clocks stopped in [start, end) (canceled ones do not count),
    of the records `user` may see."""
    model = measured(record_type).model
    record = model._default_manager.filter(pk=OuterRef("record_id")).values(DIMENSIONS[by])[:1]
    clocks = SLAClock.objects.filter(
        record_type=record_type, stage=SLAClock.STOPPED, stopped_at__gte=start, stopped_at__lt=end,
        record_id__in=restrict(user, "view", model).values("pk"),
    )  # fmt: skip
    if kind:
        clocks = clocks.filter(definition__kind=kind)
    grouped = (
        clocks.annotate(month=TruncMonth("stopped_at"), key=Subquery(record))
        .values("month", "key")
        .annotate(
            met=Count("id", filter=Q(breached_at__isnull=True)),
            breached=Count("id", filter=Q(breached_at__isnull=False)),
        )
        .order_by("month", "key")
    )
    return [Row(g["month"], "—" if g["key"] is None else str(g["key"]), g["met"], g["breached"]) for g in grouped]


def totals_by_key(rows: list[Row]) -> list[Row]:
    """The whole period per dimension value (the chart), best attainment last."""
    merged: dict[str, list[int]] = {}
    for row in rows:
        counts = merged.setdefault(row.key, [0, 0])
        counts[0] += row.met
        counts[1] += row.breached
    if not rows:
        return []
    first = rows[0].month
    return sorted((Row(first, key, met, breached) for key, (met, breached) in merged.items()), key=lambda r: r.percent)
