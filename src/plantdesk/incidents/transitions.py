"""The incident workflow in one place: which state may follow which, and what each move requires."""

from __future__ import annotations

from plantdesk.accounts.models import User
from plantdesk.incidents.choices import OPEN_STATES as OPEN_STATES
from plantdesk.incidents.choices import State
from plantdesk.incidents.models import Incident

ALLOWED: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CANCELED}),
    State.IN_PROGRESS: frozenset({State.ON_HOLD, State.RESOLVED, State.CANCELED}),
    State.ON_HOLD: frozenset({State.IN_PROGRESS, State.RESOLVED, State.CANCELED}),
    State.RESOLVED: frozenset({State.IN_PROGRESS, State.CLOSED}),
    State.CLOSED: frozenset(),
    State.CANCELED: frozenset(),
}

# What a caller may do on their own incident: withdraw it while new, reopen or accept a resolution.
CALLER_ALLOWED: dict[str, frozenset[str]] = {
    State.NEW: frozenset({State.CANCELED}),
    State.RESOLVED: frozenset({State.IN_PROGRESS, State.CLOSED}),
}

# Fields the transition form must ask for, per target state.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    State.ON_HOLD: ("hold_reason",),
    State.RESOLVED: ("resolution_code", "resolution_notes"),
    State.CANCELED: ("reason",),
}

# Display order of actions in the UI.
ORDER = [State.IN_PROGRESS, State.ON_HOLD, State.RESOLVED, State.CLOSED, State.CANCELED]


def allowed_next_states(incident: Incident, user: User) -> list[str]:
    allowed = ALLOWED[incident.state]
    if not user.is_fulfiller:
        allowed = allowed & CALLER_ALLOWED.get(incident.state, frozenset())
    return [s.value for s in ORDER if s in allowed]


def is_reopen(old: str, new: str) -> bool:
    return old == State.RESOLVED and new == State.IN_PROGRESS
