"""The read side of service requests: permission scopes, the catalog a person may order from, lists."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_group_ids, user_site_ids
from plantdesk.changes.models import Approval
from plantdesk.requests.models import (
    ITEM_RECORD_TYPE,
    AccessGrant,
    CatalogCategory,
    CatalogItem,
    FulfilmentTask,
    RequestItem,
    ServiceRequest,
)

NOTHING = Q(pk__in=[])


def catalog_scope(user: User, action: Action) -> Q | None:
    """Everyone may read the catalog items meant for them: each non-empty audience list (roles, sites,
    groups) must match. Only administrators change it (they pass restrict() unscoped)."""
    if action != "view":
        return NOTHING
    roles = Q(audience_roles="") | Q(audience_roles__contains=f",{user.role},")
    return roles & Q(pk__in=RawSQL(_audience_sql(), [user.pk, user.pk]))  # noqa: S611  (the user's id only)


@cache
def _audience_sql() -> str:
    """The ids of the catalog items whose site and group audiences let a user (both parameters) in. Plain
    SQL: every order reads its catalog item through this scope, and the same condition built of Exists()
    subqueries costs more to compile than the query takes to run."""
    item, user = CatalogItem._meta, User._meta
    sites, groups = item.get_field("audience_sites"), item.get_field("audience_groups")
    my_sites, my_groups = user.get_field("sites"), user.get_field("assignment_groups")

    def audience(field: Any, mine: Any, target: str) -> str:
        table, member = field.remote_field.through._meta.db_table, mine.remote_field.through._meta.db_table
        item_col, col = field.m2m_column_name(), field.m2m_reverse_name()
        user_col, member_col = mine.m2m_column_name(), mine.m2m_reverse_name()
        assert member_col == col, target  # both sides name the site (group) column alike
        return (  # names from the models' metadata, no input
            f"(NOT EXISTS (SELECT 1 FROM {table} a WHERE a.{item_col} = c.id) OR EXISTS (SELECT 1 FROM {table} a "  # noqa: S608
            f"JOIN {member} m ON m.{col} = a.{col} WHERE a.{item_col} = c.id AND m.{user_col} = %s))"
        )

    return (
        f"SELECT c.id FROM {item.db_table} c WHERE {audience(sites, my_sites, 'sites')} "  # noqa: S608
        f"AND {audience(groups, my_groups, 'groups')}"
    )


def category_scope(user: User, action: Action) -> Q | None:
    return None if action == "view" else NOTHING


def _approver_of(user: User, item_pk: str) -> Q:
    return Q(Exists(Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id=OuterRef(item_pk), approver=user)))


def request_scope(user: User, action: Action) -> Q | None:
    """Requesters see what they ordered and what was ordered for them; agents also their sites' requests."""
    own = Q(requested_by=user) | Q(requested_for=user)
    items = RequestItem.objects.filter(request=OuterRef("pk"))
    approver = Q(Exists(Approval.objects.filter(record_type=ITEM_RECORD_TYPE, record_id__in=items.values("pk"),
                                                approver=user)))  # fmt: skip
    if not user.is_fulfiller:
        return own | approver if action == "view" else NOTHING
    return own | Q(site__in=user_site_ids(user)) | approver


def item_scope(user: User, action: Action) -> Q | None:
    """An item is read like its request, and by the people asked to approve it."""
    own = Q(request__requested_by=user) | Q(request__requested_for=user)
    if not user.is_fulfiller:
        return (own | _approver_of(user, "pk")) if action == "view" else own
    tasks = FulfilmentTask.objects.filter(request_item=OuterRef("pk"), assignment_group__in=user_group_ids(user))
    return own | Q(site__in=user_site_ids(user)) | _approver_of(user, "pk") | Q(Exists(tasks))


def task_scope(user: User, action: Action) -> Q | None:
    """Tasks are the desk's: its sites', its groups', and the assignee's."""
    if not user.is_fulfiller:
        return NOTHING
    return Q(site__in=user_site_ids(user)) | Q(assignment_group__in=user_group_ids(user)) | Q(assignee=user)


def grant_scope(user: User, action: Action) -> Q | None:
    """People read their own access; agents their sites' grants and end them."""
    if not user.is_fulfiller:
        return Q(user=user) if action == "view" else NOTHING
    return Q(site__in=user_site_ids(user)) | (Q(user=user) if action == "view" else NOTHING)


register_scope(CatalogCategory, category_scope)
register_scope(CatalogItem, catalog_scope)
register_scope(ServiceRequest, request_scope)
register_scope(RequestItem, item_scope)
register_scope(FulfilmentTask, task_scope)
register_scope(AccessGrant, grant_scope)


def orderable(user: User) -> QuerySet[CatalogItem]:
    return restrict(user, "view", CatalogItem).filter(active=True, current__isnull=False)


def visible_requests(user: User) -> QuerySet[ServiceRequest]:
    return restrict(user, "view", ServiceRequest)


def visible_items(user: User) -> QuerySet[RequestItem]:
    return restrict(user, "view", RequestItem)


def visible_tasks(user: User) -> QuerySet[FulfilmentTask]:
    return restrict(user, "view", FulfilmentTask)


def open_work(user: User) -> QuerySet[FulfilmentTask]:
    """An agent's task work list: open tasks of a stage reached, of their groups or their own."""
    from plantdesk.requests.choices import TASK_OPEN

    mine = Q(assignment_group__in=user_group_ids(user)) | Q(assignee=user)
    return visible_tasks(user).filter(mine, active=True, state__in=TASK_OPEN)
