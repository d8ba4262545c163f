"""The one authorisation choke point (ARCHITECTURE rule 5): every read starts from `restrict()`.

Record apps register how a model is scoped; views, API and jobs never filter permissions by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from django.db.models import Model, Q, QuerySet

from plantdesk.accounts.choices import SYSTEM_USERNAME, Role
from plantdesk.accounts.models import User

Action = Literal["view", "change"]
M = TypeVar("M", bound=Model)
# A scope returns the Q a user's rows must match, or None for "every row".
Scope = Callable[[User, Action], Q | None]

_scopes: dict[type[Model], Scope] = {}


def register_scope(model: type[Model], scope: Scope) -> None:
    _scopes[model] = scope


def restrict(user: User | object, action: Action, model: type[M]) -> QuerySet[M]:
    manager = model._default_manager
    if not isinstance(user, User) or not user.is_authenticated:
        return manager.none()
    if not user.is_active and user.username != SYSTEM_USERNAME:  # the system account is inactive by design
        return manager.none()
    if user.role == Role.ADMIN:
        return manager.all()
    try:
        scope = _scopes[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no registered permission scope") from None
    condition = scope(user, action)
    return manager.all() if condition is None else manager.filter(condition)


def locked_in_scope(user: User, action: Action, model: type[M], pk: int) -> M | None:
    """The row `pk` re-read under a row lock through the user's scope (an action's first step); None when the
    user may not `action` it (the caller answers 404: invisible and unknown read the same)."""
    return restrict(user, action, model).select_for_update().filter(pk=pk).first()


def user_site_ids(user: User) -> list[int]:
    """The user's site ids, read once per user object (one request) and passed to SQL as literals:
    the planner can then use indexes, which it cannot through a correlated subquery."""
    cached: list[int] | None = getattr(user, "_site_ids", None)
    if cached is None:
        cached = list(user.sites.values_list("pk", flat=True))
        user._site_ids = cached  # type: ignore[attr-defined]
    return cached


def user_group_ids(user: User) -> list[int]:
    cached: list[int] | None = getattr(user, "_group_ids", None)
    if cached is None:
        cached = list(user.assignment_groups.values_list("pk", flat=True))
        user._group_ids = cached  # type: ignore[attr-defined]
    return cached
