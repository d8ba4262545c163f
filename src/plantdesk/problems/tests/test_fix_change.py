"""Closing the change that fixes a problem moves the problem on (a domain-event consumer, after commit)."""

from __future__ import annotations

import pytest

from plantdesk.changes.tests.conftest import ChangePlant
from plantdesk.changes.tests.helpers import move, to_scheduled
from plantdesk.core.dispatch import dispatch_all
from plantdesk.core.journal import journal_for
from plantdesk.problems.models import Problem

pytestmark = pytest.mark.django_db


def fixing_problem(cp: ChangePlant, change: str, *, ci: str = "BER-FILE01", **fields: str) -> str:
    api = cp.api(cp.plant.agent)
    body = {"short_description": "File share drops MES exports", "ci": ci, "fix_change": change, **fields}
    number = str(api.post("/problems", body).json()["number"])
    for to in ("assess", "root_cause_analysis", "fix_in_progress"):
        assert api.post(f"/problems/{number}/transitions", {"to": to}).status_code == 200
    return number


def close(cp: ChangePlant, change: str, outcome: str) -> None:
    api = cp.api(cp.plant.agent)
    assert move(cp, change, "implement").status_code == 200
    assert move(cp, change, "review").status_code == 200
    api.patch(f"/changes/{change}", {"review_outcome": outcome, "verification_evidence": "Export ran."})
    assert move(cp, change, "closed").status_code == 200, move(cp, change, "closed").json()


def test_a_successful_close_resolves_the_problems_it_fixes(cp: ChangePlant) -> None:
    change = to_scheduled(cp, cis=["BER-FILE01"], validation_impact="none", qms_change_control_ref="")
    fixed = fixing_problem(cp, change)
    elsewhere = fixing_problem(cp, change)
    cp.api(cp.plant.agent).post(f"/problems/{elsewhere}/transitions", {"to": "root_cause_analysis"})
    close(cp, change, "successful")
    dispatch_all()
    problem = Problem.objects.get(number=fixed)
    assert problem.state == "resolved" and problem.resolution_code == "fix_applied"
    assert change in problem.cause_notes
    notes = [e.body for e in journal_for("problem", problem.pk, include_internal=True)]
    assert any(change in n and "closed successfully" in n for n in notes)
    assert Problem.objects.get(number=elsewhere).state == "root_cause_analysis"  # not in fix_in_progress
    shown = cp.api(cp.plant.agent).get(f"/problems/{fixed}").json()
    assert shown["fix_change"] == change and shown["resolved_by"] == "system"
    dispatch_all()  # idempotent: a second delivery changes nothing
    assert Problem.objects.get(number=fixed).state == "resolved"


def test_a_failed_change_leaves_its_problems_in_progress(cp: ChangePlant) -> None:
    change = to_scheduled(cp, cis=["BER-FILE01"], validation_impact="none", qms_change_control_ref="")
    problem = fixing_problem(cp, change)
    close(cp, change, "backed_out")
    dispatch_all()
    assert Problem.objects.get(number=problem).state == "fix_in_progress"
