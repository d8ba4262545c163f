"""The read side of problems: permission scope, list filters, linked incidents, candidates."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.problems.models import KnownError, Problem, ProblemIncident


def problem_scope(user: User, action: Action) -> Q | None:
    """Problems are the desk's own records: requesters see none; agents those of their sites, those
    assigned to them and those they opened (a problem without a site is its opener's and the admins')."""
    if not user.is_fulfiller:
        return Q(pk__in=[])
    return Q(site__in=user_site_ids(user)) | Q(assignee=user) | Q(opened_by=user)


def known_error_scope(user: User, action: Action) -> Q | None:
    """A known error is read wherever its problem is."""
    if not user.is_fulfiller:
        return Q(pk__in=[])
    return Q(problem__site__in=user_site_ids(user)) | Q(problem__assignee=user) | Q(problem__opened_by=user)


register_scope(Problem, problem_scope)
register_scope(KnownError, known_error_scope)


def visible_problems(user: User) -> QuerySet[Problem]:
    return restrict(user, "view", Problem)


@dataclass(frozen=True)
class ProblemFilters:
    state: list[str] | None = None
    priority: list[int] | None = None
    assignment_group: str | None = None
    assignee: str | None = None
    ci: str | None = None
    q: str | None = None
    open_only: bool = False


def problem_links(problem: Problem) -> QuerySet[ProblemIncident]:
    return ProblemIncident.objects.filter(problem=problem)
