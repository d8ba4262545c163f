"""Priority from impact x urgency through the configurable matrix (ITIL default as fallback)."""

from __future__ import annotations

from plantdesk.incidents.models import PriorityMatrix

ITIL_DEFAULT: dict[tuple[int, int], int] = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def priority_for(impact: int, urgency: int) -> int:
    configured = (
        PriorityMatrix.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    )
    return configured if configured is not None else ITIL_DEFAULT[(impact, urgency)]
