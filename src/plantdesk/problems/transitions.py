"""The problem workflow in one place (CONTRACT.md section 8): which state may follow which."""

from __future__ import annotations

from plantdesk.problems.choices import State
from plantdesk.problems.models import Problem

# Forward through the analysis; a step back where analysis shows more work is needed; reopen from resolved.
ALLOWED: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.ASSESS, State.CANCELED}),
    State.ASSESS: frozenset({State.ROOT_CAUSE_ANALYSIS, State.CANCELED}),
    State.ROOT_CAUSE_ANALYSIS: frozenset({State.FIX_IN_PROGRESS, State.RESOLVED, State.CANCELED}),
    State.FIX_IN_PROGRESS: frozenset({State.ROOT_CAUSE_ANALYSIS, State.RESOLVED, State.CANCELED}),
    State.RESOLVED: frozenset({State.FIX_IN_PROGRESS, State.CLOSED}),
    State.CLOSED: frozenset(),
    State.CANCELED: frozenset(),
}

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    State.RESOLVED: ("resolution_code", "cause_notes"),
    State.CANCELED: ("reason",),
}

ORDER = [State.ASSESS, State.ROOT_CAUSE_ANALYSIS, State.FIX_IN_PROGRESS, State.RESOLVED, State.CLOSED,
         State.CANCELED]  # fmt: skip


def allowed_next_states(problem: Problem) -> list[str]:
    allowed = ALLOWED[problem.state]
    return [s.value for s in ORDER if s in allowed]


def is_reopen(old: str, new: str) -> bool:
    return old == State.RESOLVED and new == State.FIX_IN_PROGRESS
