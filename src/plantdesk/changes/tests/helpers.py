"""Steps of the change workflow through the API, for tests that need a change in a given state."""

from __future__ import annotations

from typing import Any

from plantdesk.changes.tests.conftest import ChangePlant, change_body
from plantdesk.testing.fixtures import PASSWORD


def create(cp: ChangePlant, **fields: Any) -> str:
    response = cp.api(cp.plant.agent).post("/changes", change_body(**fields))
    assert response.status_code == 201, response.json()
    return str(response.json()["number"])


def move(cp: ChangePlant, number: str, to: str, **extra: Any) -> Any:
    return cp.api(cp.plant.agent).post(f"/changes/{number}/transitions", {"to": to, **extra})


def approve_all(cp: ChangePlant, number: str) -> None:
    """Every requested approval, level after level, signed with the approver's password."""
    for _ in range(5):
        pending = [a for a in cp.api(cp.carl).get(f"/changes/{number}/approvals").json()["items"]
                   if a["state"] == "requested"]  # fmt: skip
        if not pending:
            return
        by_name = {u.username: u for u in (cp.carl, cp.cora, cp.plant.qa, cp.plant.manager)}
        for approval in pending:
            approver = by_name[approval["approver"]]
            response = cp.api(approver).post(
                f"/approvals/{approval['id']}/decision", {"decision": "approve", "password": PASSWORD}
            )
            if response.status_code == 409:  # the level was settled by an earlier decision (rule "any")
                continue
            assert response.status_code == 200, response.json()


def qa_sign(cp: ChangePlant, number: str, purpose: str) -> Any:
    return cp.api(cp.plant.qa).post(f"/changes/{number}/signatures", {"purpose": purpose, "password": PASSWORD})


def to_scheduled(cp: ChangePlant, **fields: Any) -> str:
    number = create(cp, **fields)
    assert move(cp, number, "assess").status_code == 200
    assert move(cp, number, "authorize").status_code == 200
    approve_all(cp, number)
    assert move(cp, number, "scheduled").status_code == 200
    return number
