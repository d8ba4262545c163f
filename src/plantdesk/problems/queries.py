"""The read side of problems: permission scope, list filters, linked incidents, candidates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, ForeignKey, Model, Q, QuerySet
from django.utils import timezone

from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.changes.models import ChangeRequest
from plantdesk.cmdb.locations import enclosing
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.incidents import queries as incident_queries
from plantdesk.incidents.choices import State as IncidentState
from plantdesk.incidents.models import Incident
from plantdesk.problems.models import OPEN, USER_FOREIGN_KEYS, KnownError, Problem, ProblemIncident


def problem_scope(user: User, action: Action) -> Q | None:
    """Problems are the desk's own records: requesters see none; agents those of their sites, those
    assigned to them and those they opened (a problem without a site is its opener's and the admins')."""
    if not user.is_fulfiller:
        return Q(pk__in=[])
    return Q(site__in=user_site_ids(user)) | Q(assignee=user) | Q(opened_by=user)


def known_error_scope(user: User, action: Action) -> Q | None:
    """A known error is read wherever its problem is: by its (copied) site, else by the few problems the
    user is assigned to or opened (a small hashed subquery, not a join per searched row)."""
    if not user.is_fulfiller:
        return Q(pk__in=[])
    own = Problem.objects.filter(Q(assignee=user) | Q(opened_by=user)).values("pk")
    return Q(site__in=user_site_ids(user)) | Q(problem__in=own)


register_scope(Problem, problem_scope)
register_scope(KnownError, known_error_scope)


def visible_problems(user: User) -> QuerySet[Problem]:
    return restrict(user, "view", Problem)


# The problem list is filtered like the incident list (state, priority, group, assignee, CI, number or text).
ProblemFilters = incident_queries.IncidentFilters


def filter_problems(qs: QuerySet[Problem], f: ProblemFilters) -> QuerySet[Problem]:
    return incident_queries.filter_incidents(qs, f, open_states=OPEN)


def problem_links(problem: Problem) -> QuerySet[ProblemIncident]:
    return ProblemIncident.objects.filter(problem=problem)


NUMBER_PATTERN = re.compile(r"PRB\d{7,}")


def get_visible(user: User, number: str) -> Problem | None:
    if not NUMBER_PATTERN.fullmatch(number):
        return None
    problem = visible_problems(user).filter(number=number).first()
    if problem is not None:
        attach_related([problem])
    return problem


def page_of(qs: QuerySet[Problem], offset: int, limit: int) -> list[Problem]:
    rows = list(qs[offset : offset + limit])
    attach_related(rows)
    return rows


def attach_related(problems: list[Problem]) -> None:
    """Users, groups, sites, CIs, fix changes and linked incident numbers of a page, in a constant number of
    queries (never one per row)."""
    if not problems:
        return
    user_ids = {getattr(p, f"{f}_id") for p in problems for f in USER_FOREIGN_KEYS} - {None}
    users = User.objects.in_bulk(user_ids)
    groups = AssignmentGroup.objects.in_bulk({p.assignment_group_id for p in problems} - {None})
    sites = Site.objects.in_bulk({p.site_id for p in problems} - {None})
    cis = ConfigurationItem.objects.only("id", "name", "site_id", "gxp_relevant").in_bulk(
        {p.ci_id for p in problems} - {None}
    )
    changes = ChangeRequest.objects.only("id", "number", "state", "short_description").in_bulk(
        {p.fix_change_id for p in problems} - {None}
    )
    numbers: dict[int, list[str]] = {}
    for problem_id, number in (
        ProblemIncident.objects.filter(problem__in=problems).order_by("incident__number")
        .values_list("problem_id", "incident__number")
    ):  # fmt: skip
        numbers.setdefault(problem_id, []).append(number)
    known = set(KnownError.objects.filter(problem__in=problems).values_list("problem_id", flat=True))
    for p in problems:
        for name in USER_FOREIGN_KEYS:
            key = getattr(p, f"{name}_id")
            _cache(p, name, users.get(key) if key else None)
        _cache(p, "assignment_group", groups.get(p.assignment_group_id) if p.assignment_group_id else None)
        _cache(p, "site", sites.get(p.site_id) if p.site_id else None)
        _cache(p, "ci", cis.get(p.ci_id) if p.ci_id else None)
        _cache(p, "fix_change", changes.get(p.fix_change_id) if p.fix_change_id else None)
        p.incident_numbers = numbers.get(p.pk, [])  # type: ignore[attr-defined]
        p.has_known_error = p.pk in known  # type: ignore[attr-defined]


def _cache(problem: Problem, name: str, value: Model | None) -> None:
    field = Problem._meta.get_field(name)
    assert isinstance(field, ForeignKey)
    if value is not None:
        field.set_cached_value(problem, value)


def problems_of_incidents(incident_ids: list[int]) -> dict[int, str]:
    """incident id -> the number of the problem it is linked to (one query for a page of incidents)."""
    if not incident_ids:
        return {}
    return dict(
        ProblemIncident.objects.filter(incident_id__in=incident_ids).values_list("incident_id", "problem__number")
    )


def linked_incidents(user: User, problem: Problem) -> list[Incident]:
    """The linked incidents the user may see, open ones first, then newest."""
    qs = incident_queries.visible_incidents(user).filter(problem_link__problem=problem)
    rows = list(qs.order_by("closed_at", "-opened_at")[:500])
    incident_queries.attach_related(rows)
    return rows


def known_error_of(problem: Problem) -> KnownError | None:
    return KnownError.objects.filter(problem=problem).select_related("published_by").first()


def known_error_cis(known: KnownError) -> list[str]:
    return sorted(known.cis.values_list("name", flat=True))


def fixed_by(user: User, change: ChangeRequest) -> list[Problem]:
    """The problems a change fixes (the change page's panel), those the user may see."""
    rows = list(visible_problems(user).filter(fix_change=change).order_by("number"))
    attach_related(rows)
    return rows


# -- candidates ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """Recurring incidents not linked to any problem: on one CI, or of one category on one line."""

    ci: str | None
    line: str | None
    category: str | None
    incidents: list[str]
    count: int


MAX_CANDIDATES = 50
MAX_NUMBERS = 100


def problem_candidates(user: User, *, days: int = 30, minimum: int = 3, now: datetime | None = None) -> list[Candidate]:
    """CIs with at least `minimum` incidents opened within `days` and not linked to a problem, and the same
    for a category on a line (incidents on different CIs of one line). Grouped in the database."""
    since = (now or timezone.now()) - timedelta(days=days)
    recent = (
        incident_queries.visible_incidents(user)
        .filter(opened_at__gte=since, ci__isnull=False, problem_link__isnull=True)
        .exclude(state=IncidentState.CANCELED)
    )
    found: list[Candidate] = []
    by_ci = list(
        recent.values("ci").annotate(n=Count("id")).filter(n__gte=minimum).order_by("-n", "ci")[:MAX_CANDIDATES]
    )
    names = dict(ConfigurationItem.objects.filter(pk__in=[g["ci"] for g in by_ci]).values_list("pk", "name"))
    numbers = _numbers(recent.filter(ci__in=[g["ci"] for g in by_ci]), "ci")
    found += [Candidate(ci=names[g["ci"]], line=None, category=None, incidents=numbers.get(g["ci"], [])[:MAX_NUMBERS],
                        count=g["n"]) for g in by_ci]  # fmt: skip
    found += _line_candidates(recent, minimum, covered={g["ci"] for g in by_ci})
    return sorted(found, key=lambda c: -c.count)[:MAX_CANDIDATES]


def _numbers(qs: QuerySet[Incident], key: str) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = {}
    for value, number in qs.order_by("opened_at").values_list(key, "number"):
        out.setdefault(value, []).append(number)
    return out


def _line_candidates(recent: QuerySet[Incident], minimum: int, *, covered: set[int]) -> list[Candidate]:
    """A category recurring on one line across its CIs (a CI's own recurrences are already a candidate)."""
    per_ci = list(recent.exclude(category="").values("ci", "category").annotate(n=Count("id"))[:20_000])
    lines = enclosing({row["ci"] for row in per_ci})
    totals: dict[tuple[int, str], int] = {}
    spread: dict[tuple[int, str], set[int]] = {}
    for row in per_ci:
        line = lines.get(row["ci"])
        if line is None:
            continue
        key = (line.pk, row["category"])
        totals[key] = totals.get(key, 0) + row["n"]
        spread.setdefault(key, set()).add(row["ci"])
    chosen = [k for k, n in totals.items() if n >= minimum and not spread[k] <= covered and len(spread[k]) > 1]
    if not chosen:
        return []
    line_names = {line.pk: line.name for line in lines.values()}
    out = []
    for line_id, category in chosen:
        members = recent.filter(ci__in=spread[(line_id, category)], category=category).order_by("opened_at")
        out.append(Candidate(ci=None, line=line_names[line_id], category=category, count=totals[(line_id, category)],
                             incidents=list(members.values_list("number", flat=True)[:MAX_NUMBERS])))  # fmt: skip
    return out
