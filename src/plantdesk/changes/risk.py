"""Risk from the questionnaire plus the criticality of the affected CIs (DOMAIN.md section 3)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from plantdesk.changes.choices import RISK_QUESTIONS, Risk
from plantdesk.cmdb.choices import Criticality

CRITICALITY_POINTS: dict[str, int] = {
    Criticality.CRITICAL: 3,
    Criticality.HIGH: 2,
    Criticality.MEDIUM: 1,
    Criticality.LOW: 0,
}
# Score -> risk: the first bound the score does not exceed.
BOUNDS = [(1, Risk.LOW), (3, Risk.MODERATE), (6, Risk.HIGH)]


def assess_risk(answers: Mapping[str, bool], criticalities: Iterable[str]) -> str:
    score = sum(weight for key, (_, weight) in RISK_QUESTIONS.items() if answers.get(key))
    score += max((CRITICALITY_POINTS.get(c, 0) for c in criticalities), default=0)
    return next((risk for bound, risk in BOUNDS if score <= bound), Risk.VERY_HIGH).value
