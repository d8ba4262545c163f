"""The read side of incidents: permission scope, list filters and the queue views."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.incidents.choices import OPEN_STATES
from plantdesk.incidents.models import Incident


def incident_scope(user: User, action: Action) -> Q | None:
    own = Q(caller=user) | Q(opened_by=user)
    if not user.is_fulfiller:
        return own
    return own | Q(site__in=user_site_ids(user)) | Q(site__isnull=True) | Q(assignee=user)


register_scope(Incident, incident_scope)

LIST_RELATED = (
    "caller", "opened_by", "assignment_group", "assignee", "site", "parent",
    "major_incident_owner", "reopened_by", "resolved_by",
)  # fmt: skip


def visible_incidents(user: User) -> QuerySet[Incident]:
    return restrict(user, "view", Incident).select_related(*LIST_RELATED)


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


def filter_incidents(qs: QuerySet[Incident], f: IncidentFilters) -> QuerySet[Incident]:
    if f.open_only:
        qs = qs.filter(state__in=list(OPEN_STATES))
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
        qs = qs.filter(ci=f.ci)
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
        assignment_group__in=user.assignment_groups.values_list("pk", flat=True),
    )


def open_in_my_groups(user: User) -> QuerySet[Incident]:
    return visible_incidents(user).filter(
        state__in=list(OPEN_STATES),
        assignment_group__in=user.assignment_groups.values_list("pk", flat=True),
    )


def get_visible(user: User, number: str) -> Incident | None:
    return visible_incidents(user).filter(number=number).first()


def children_of(incident: Incident) -> QuerySet[Incident]:
    return Incident.objects.filter(parent=incident).select_related("assignee").order_by("number")
