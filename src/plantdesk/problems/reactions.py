"""The problems app's consumers of other apps' domain events, run by the worker after their commit.

A change that fixes problems (`fix_change`) and is closed successfully moves those problems in
`fix_in_progress` on to `resolved`, naming the change. Idempotent: a problem already moved is left alone.
"""

from __future__ import annotations

from plantdesk.accounts.actions import get_system_user
from plantdesk.changes.choices import ReviewOutcome
from plantdesk.changes.choices import State as ChangeState
from plantdesk.changes.models import ChangeRequest
from plantdesk.core import audit
from plantdesk.core.domain_events import Event
from plantdesk.problems.actions import apply_transition
from plantdesk.problems.choices import State
from plantdesk.problems.models import Problem
from plantdesk.problems.record import note

FIX_CHANGE_CLOSED = "problems.fix_change_closed"
SUCCESSFUL = frozenset({ReviewOutcome.SUCCESSFUL, ReviewOutcome.SUCCESSFUL_WITH_ISSUES})
FIX_APPLIED = "fix_applied"


def resolve_fixed_problems(event: Event) -> None:
    if event.changes.get("state", {}).get("new") != ChangeState.CLOSED:
        return
    change = ChangeRequest.objects.filter(pk=event.record_id).only("id", "number", "review_outcome", "state").first()
    if change is None or change.state != ChangeState.CLOSED or change.review_outcome not in SUCCESSFUL:
        return
    actor = get_system_user()
    with audit.action_transaction():
        waiting = Problem.objects.select_for_update().filter(fix_change=change, state=State.FIX_IN_PROGRESS)
        for problem in waiting.order_by("pk"):
            if problem.gxp_relevant:
                # The CAPA question is a person's answer: the system does not resolve a GxP problem for them.
                note(problem, f"{change.number} that fixes this problem was closed successfully. Resolve the "
                              "problem and answer the CAPA question.", actor=actor)  # fmt: skip
                continue
            cause = problem.cause_notes or _root_cause(problem) or f"Fixed by change {change.number}."
            apply_transition(problem, State.RESOLVED, actor=actor, resolution_code=FIX_APPLIED, cause_notes=cause,
                              reason=f"Fixed by {change.number}, closed successfully.")  # fmt: skip
            note(problem, f"Resolved: {change.number} that fixes this problem was closed successfully.", actor=actor)


def _root_cause(problem: Problem) -> str:
    from plantdesk.problems.models import KnownError

    known = KnownError.objects.filter(problem=problem).only("root_cause").first()
    return known.root_cause if known is not None else ""
