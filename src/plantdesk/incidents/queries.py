"""The read side of incidents: permission scope, list filters and the queue views."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, ForeignKey, Min, Model, Q, QuerySet
from django.utils import timezone

from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_group_ids, user_site_ids
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.incidents.choices import OPEN_STATES
from plantdesk.incidents.models import USER_FOREIGN_KEYS, Incident


def incident_scope(user: User, action: Action) -> Q | None:
    """Requesters see the incidents they raised or were called for; agents also those of their sites and
    those assigned to them. One without a site is its parties' (and the administrators') only."""
    own = Q(caller=user) | Q(opened_by=user)
    if not user.is_fulfiller:
        return own
    return own | Q(site__in=user_site_ids(user)) | Q(assignee=user)


register_scope(Incident, incident_scope)


def visible_incidents(user: User) -> QuerySet[Incident]:
    return restrict(user, "view", Incident)


@dataclass(frozen=True)
class IncidentFilters:
    state: list[str] | None = None
    priority: list[int] | None = None
    assignment_group: str | None = None
    assignee: str | None = None
    ci: str | None = None
    q: str | None = None
    caller: str | None = None
    open_only: bool = False


Filtered = TypeVar("Filtered", bound=Model)


def filter_incidents(
    qs: QuerySet[Filtered], f: IncidentFilters, *, open_states: Iterable[str] = OPEN_STATES
) -> QuerySet[Filtered]:
    """The list filters; problems have the same fields (but no caller and other open states) and are filtered
    the same way."""
    if f.open_only:
        qs = qs.filter(state__in=list(open_states))
    if f.state:
        qs = qs.filter(state__in=f.state)
    if f.priority:
        qs = qs.filter(priority__in=f.priority)
    if f.assignment_group:
        qs = qs.filter(assignment_group__name=f.assignment_group)
    if f.assignee:
        qs = qs.filter(assignee__isnull=True) if f.assignee == "none" else qs.filter(assignee__username=f.assignee)
    if f.caller:
        qs = qs.filter(caller__username=f.caller)
    if f.ci:
        qs = qs.filter(ci__name=f.ci)
    if f.q:
        term = f.q.strip()
        qs = qs.filter(Q(number__iexact=term) | Q(short_description__icontains=term))
    return qs


def my_work(user: User) -> QuerySet[Incident]:
    return visible_incidents(user).filter(assignee=user, state__in=list(OPEN_STATES))


def unassigned_in_my_groups(user: User) -> QuerySet[Incident]:
    return visible_incidents(user).filter(
        assignee__isnull=True,
        state__in=list(OPEN_STATES),
        assignment_group__in=user_group_ids(user),
    )


def open_in_my_groups(user: User) -> QuerySet[Incident]:
    return visible_incidents(user).filter(
        state__in=list(OPEN_STATES),
        assignment_group__in=user_group_ids(user),
    )


NUMBER_PATTERN = re.compile(r"[A-Z]{2,8}\d{7,}")


def get_visible(user: User, number: str) -> Incident | None:
    if not NUMBER_PATTERN.fullmatch(number):
        return None  # not a number at all (and never a NUL byte PostgreSQL would refuse)
    incident = visible_incidents(user).filter(number=number).first()
    if incident is not None:
        attach_related([incident])
    return incident


def open_incidents_on_ci(user: User, ci: ConfigurationItem, limit: int = 20) -> list[Incident]:
    """The open incidents on a CI that `user` may see, most urgent first (the CI page's list)."""
    qs = visible_incidents(user).filter(ci=ci, state__in=list(OPEN_STATES)).order_by("priority", "opened_at")
    return page_of(qs, 0, limit)


def page_of(qs: QuerySet[Incident], offset: int, limit: int) -> list[Incident]:
    """One page of rows with their related rows loaded: a constant number of queries per page."""
    rows = list(qs[offset : offset + limit])
    attach_related(rows)
    return rows


def attach_related(incidents: list[Incident]) -> None:
    """Load users, groups, sites and parents of `incidents` in at most four small queries.

    A ten-way select_related costs PostgreSQL more to plan than to run (4 ms of planning for a 0.5 ms
    lookup by number); `IN (...)` queries keep both cheap and never query per row.
    """
    if not incidents:
        return

    def cache(name: str, rows: Mapping[int, Model]) -> None:
        field = Incident._meta.get_field(name)
        assert isinstance(field, ForeignKey)
        for incident in incidents:
            key = getattr(incident, f"{name}_id")
            if key is not None and key in rows:
                field.set_cached_value(incident, rows[key])

    user_ids = {getattr(i, f"{f}_id") for i in incidents for f in USER_FOREIGN_KEYS} - {None}
    users = User.objects.in_bulk(user_ids)
    for name in USER_FOREIGN_KEYS:
        cache(name, users)
    cache("assignment_group", AssignmentGroup.objects.in_bulk({i.assignment_group_id for i in incidents} - {None}))
    cache("site", Site.objects.in_bulk({i.site_id for i in incidents} - {None}))
    parent_ids = {i.parent_id for i in incidents} - {None}
    if parent_ids:
        cache("parent", Incident.objects.only("id", "number").in_bulk(parent_ids))
    ci_ids = {i.ci_id for i in incidents} - {None}
    if ci_ids:
        cache("ci", ConfigurationItem.objects.only("id", "name", "site_id").in_bulk(ci_ids))


def children_of(incident: Incident, user: User) -> list[Incident]:
    children = list(visible_incidents(user).filter(parent=incident).order_by("number"))
    attach_related(children)
    return children


@dataclass(frozen=True)
class MajorCandidate:
    """Several open incidents on one CI within minutes: likely one outage, worth a major incident."""

    ci: str
    numbers: list[str]  # the oldest MAX_NUMBERS_PER_CANDIDATE
    first_opened_at: datetime
    count: int


MAX_CANDIDATES = 10
MAX_NUMBERS_PER_CANDIDATE = 50


def major_incident_candidates(user: User, *, now: datetime | None = None) -> list[MajorCandidate]:
    """CIs with at least MAJOR_CANDIDATE_MIN_INCIDENTS open incidents opened within the last
    MAJOR_CANDIDATE_WINDOW_MINUTES, none of them a major incident yet (DOMAIN.md 1).

    Grouped in the database: a flood of thousands of incidents costs one aggregate, not a transfer.
    """
    since = (now or timezone.now()) - timedelta(minutes=settings.MAJOR_CANDIDATE_WINDOW_MINUTES)
    recent = visible_incidents(user).filter(state__in=list(OPEN_STATES), opened_at__gte=since, ci__isnull=False)
    groups = list(
        recent.values("ci")
        .annotate(n=Count("id"), majors=Count("id", filter=Q(major_incident=True)), first=Min("opened_at"))
        .filter(n__gte=settings.MAJOR_CANDIDATE_MIN_INCIDENTS, majors=0)
        .order_by("-n", "first")[:MAX_CANDIDATES]
    )
    if not groups:
        return []
    numbers: dict[int, list[str]] = {}
    members = recent.filter(ci__in=[g["ci"] for g in groups]).order_by("opened_at")
    for ci, number in members.values_list("ci", "number"):
        numbers.setdefault(ci, []).append(number)
    names = dict(ConfigurationItem.objects.filter(pk__in=numbers).values_list("pk", "name"))
    return [
        MajorCandidate(
            ci=names[g["ci"]],
            numbers=numbers.get(g["ci"], [])[:MAX_NUMBERS_PER_CANDIDATE],
            first_opened_at=g["first"],
            count=g["n"],
        )
        for g in groups
    ]
