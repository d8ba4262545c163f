"""Random walks through the workflow: whatever sequence people try, the record stays consistent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plantdesk.core.audit import verify_chain
from plantdesk.core.errors import Conflict, InvalidInput
from plantdesk.core.models import AuditEntry
from plantdesk.incidents.actions import do_transition_incident
from plantdesk.incidents.choices import State
from plantdesk.incidents.transitions import ALLOWED
from plantdesk.testing.fixtures import Plant, build_plant, make_incident

MOVES = st.lists(
    st.tuples(
        st.sampled_from(State.values),
        st.sampled_from(["agent", "caller"]),
        st.booleans(),  # whether the required fields are given
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=MOVES)
@pytest.mark.django_db
def test_any_sequence_of_moves_keeps_the_record_consistent(moves: list[tuple[str, str, bool]]) -> None:
    # Hypothesis runs every example inside the one test transaction: build the plant once.
    plant = _existing_plant() if _plant_exists() else build_plant()
    incident = make_incident(plant.agent, caller="rita")
    expected_state, expected_reopens = "new", 0
    for to, who, complete in moves:
        actor = plant.agent if who == "agent" else plant.requester
        fields = (
            {"hold_reason": "awaiting_vendor", "resolution_code": "solved_fix", "resolution_notes": "n", "reason": "r"}
            if complete
            else {}
        )
        try:
            do_transition_incident(incident, to, actor=actor, **fields)
        except (Conflict, InvalidInput):
            incident.refresh_from_db()
            assert incident.state == expected_state  # a refusal changes nothing
            continue
        if to != expected_state:
            assert to in ALLOWED[expected_state]
            if expected_state == "resolved" and to == "in_progress":
                expected_reopens += 1
            expected_state = to
        incident.refresh_from_db()
        assert incident.state == expected_state
    assert incident.reopen_count == expected_reopens
    if incident.state in ("resolved", "closed"):
        assert incident.resolution_code and incident.resolution_notes
    if incident.state == "on_hold":
        assert incident.hold_reason
    states = list(
        AuditEntry.objects.filter(record_id=incident.pk, record_type="incident", field="state").values_list(
            "new", flat=True
        )
    )
    assert states[-1:] == ([incident.state] if states else [])
    assert verify_chain().ok


def _plant_exists() -> bool:
    from plantdesk.accounts.models import User

    return User.objects.filter(username="alice").exists()


def _existing_plant() -> Plant:
    from plantdesk.accounts.models import User

    users = {u.username: u for u in User.objects.all()}
    return Plant(
        system=users["system"], admin=users["admin"], agent=users["alice"], ot_agent=users["otto"],
        agent_sin=users["siti"], manager=users["maria"], qa=users["quinn"], requester=users["rita"],
        requester2=users["rob"], requester_sin=users["sam"],
    )  # fmt: skip
