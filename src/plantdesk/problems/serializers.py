"""A problem and its known error as the API shows them (the read side loaded every related row)."""

from __future__ import annotations

from typing import Any

from plantdesk.incidents.serializers import username as _username
from plantdesk.problems.models import KnownError, Problem
from plantdesk.problems.queries import known_error_cis


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    return {
        "number": problem.number,
        "state": problem.state,
        "priority": problem.priority,
        "impact": problem.impact,
        "urgency": problem.urgency,
        "short_description": problem.short_description,
        "description": problem.description,
        "category": problem.category,
        "ci": problem.ci.name if problem.ci else None,
        "site": problem.site.code if problem.site else None,
        "gxp_relevant": problem.gxp_relevant,
        "opened_by": problem.opened_by.username,
        "assignment_group": problem.assignment_group.name if problem.assignment_group else None,
        "assignee": _username(problem.assignee),
        "fix_change": problem.fix_change.number if problem.fix_change else None,
        "incidents": getattr(problem, "incident_numbers", []),
        "known_error": getattr(problem, "has_known_error", False),
        "resolution_code": problem.resolution_code or None,
        "cause_notes": problem.cause_notes or None,
        "capa_decision": problem.capa_decision or None,
        "capa_rationale": problem.capa_rationale or None,
        "cancel_reason": problem.cancel_reason or None,
        "opened_at": problem.opened_at,
        "updated_at": problem.updated_at,
        "resolved_at": problem.resolved_at,
        "resolved_by": _username(problem.resolved_by),
        "closed_at": problem.closed_at,
    }


def known_error_to_dict(known: KnownError, problem: Problem, posted_to: list[str] | None = None) -> dict[str, Any]:
    return {
        "problem": problem.number,
        "symptom": known.symptom,
        "root_cause": known.root_cause,
        "workaround": known.workaround,
        "vendor": known.vendor,
        "product_model": known.product_model,
        "affected_version": known.affected_version,
        "cis": known_error_cis(known),
        "published": known.published,
        "workaround_version": known.workaround_version,
        "published_at": known.published_at,
        "published_by": _username(known.published_by),
        "posted_to": posted_to or [],
    }
