"""The change workflows in one place (CONTRACT.md section 7): which state may follow which per type, and
the guards each move must pass. A failing guard names what is missing; the API answers 409 with them."""

from __future__ import annotations

from plantdesk.changes.choices import ChangeType, State

_NORMAL: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.ASSESS, State.CANCELED}),
    State.ASSESS: frozenset({State.AUTHORIZE, State.CANCELED}),
    State.AUTHORIZE: frozenset({State.SCHEDULED, State.ASSESS, State.CANCELED}),
    State.SCHEDULED: frozenset({State.IMPLEMENT, State.ASSESS, State.CANCELED}),
    State.IMPLEMENT: frozenset({State.REVIEW}),
    State.REVIEW: frozenset({State.CLOSED}),
}
_EMERGENCY: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.AUTHORIZE, State.CANCELED}),
    State.AUTHORIZE: frozenset({State.SCHEDULED, State.NEW, State.CANCELED}),
    State.SCHEDULED: frozenset({State.IMPLEMENT, State.NEW, State.CANCELED}),
    State.IMPLEMENT: frozenset({State.REVIEW}),
    State.REVIEW: frozenset({State.CLOSED}),
}
_STANDARD: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.SCHEDULED, State.CANCELED}),
    State.SCHEDULED: frozenset({State.IMPLEMENT, State.NEW, State.CANCELED}),
    State.IMPLEMENT: frozenset({State.REVIEW}),
    State.REVIEW: frozenset({State.CLOSED}),
}
ALLOWED: dict[str, dict[str, frozenset[str]]] = {
    ChangeType.NORMAL: _NORMAL,
    ChangeType.EMERGENCY: _EMERGENCY,
    ChangeType.STANDARD: _STANDARD,
}

# Where a change goes back to when its plan changes after authorisation, or the CAB rejects it.
REPLAN_STATE: dict[str, str] = {
    ChangeType.NORMAL: State.ASSESS,
    ChangeType.EMERGENCY: State.NEW,
    ChangeType.STANDARD: State.NEW,
}

# Display order of the actions in the UI.
ORDER = [
    State.ASSESS, State.AUTHORIZE, State.SCHEDULED, State.IMPLEMENT, State.REVIEW, State.CLOSED, State.NEW,
    State.CANCELED,
]  # fmt: skip

# The state whose entry needs the plans complete, per type (the first step toward authorisation).
PLANS_NEEDED_FOR: dict[str, str] = {
    ChangeType.NORMAL: State.ASSESS,
    ChangeType.EMERGENCY: State.AUTHORIZE,
    ChangeType.STANDARD: State.SCHEDULED,
}

# States in which the plan (what signatures and approvals cover) may still be edited.
PLAN_EDITABLE = frozenset({State.NEW, State.ASSESS, State.AUTHORIZE, State.SCHEDULED})


def allowed_next_states(change_type: str, state: str) -> list[str]:
    allowed = ALLOWED[change_type].get(state, frozenset())
    return [s.value for s in ORDER if s in allowed]


PROGRESS = [State.NEW, State.ASSESS, State.AUTHORIZE, State.SCHEDULED, State.IMPLEMENT, State.REVIEW, State.CLOSED]


def is_backward(old: str, new: str) -> bool:
    """Back toward planning (re-assess, re-plan): approvals and plan signatures start over."""
    return new != State.CANCELED and PROGRESS.index(State(new)) < PROGRESS.index(State(old))
