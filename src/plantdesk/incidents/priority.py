"""Priority from impact x urgency through the configurable matrix (ITIL default as fallback)."""

from __future__ import annotations

from plantdesk.core.config_cache import config_cache
from plantdesk.incidents.models import PriorityMatrix

ITIL_DEFAULT: dict[tuple[int, int], int] = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def _load_matrix() -> dict[tuple[int, int], int]:
    return {(i, u): p for i, u, p in PriorityMatrix.objects.values_list("impact", "urgency", "priority")}


_matrix = config_cache(_load_matrix)


def priority_for(impact: int, urgency: int) -> int:
    return _matrix.get().get((impact, urgency), ITIL_DEFAULT[(impact, urgency)])
