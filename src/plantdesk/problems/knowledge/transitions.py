"""The article workflow: draft -> review -> published -> retired (review may go back to draft)."""

from __future__ import annotations

from plantdesk.problems.knowledge.choices import State

ALLOWED: dict[str, tuple[str, ...]] = {
    State.DRAFT: (State.REVIEW,),
    State.REVIEW: (State.PUBLISHED, State.DRAFT),
    State.PUBLISHED: (State.RETIRED,),
    State.RETIRED: (),
}


def allowed_next_states(state: str) -> list[str]:
    return [str(s) for s in ALLOWED.get(state, ())]
