"""Sites and assignment groups by name, from the per-process configuration cache (see core.config_cache)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.core.config_cache import config_cache

_groups = config_cache(lambda: {g.name: g for g in AssignmentGroup.objects.all()})
_sites = config_cache(lambda: {s.pk: s for s in Site.objects.all()})


def group_named(name: str) -> AssignmentGroup | None:
    return _groups.get().get(name) or AssignmentGroup.objects.filter(name=name).first()


def site_coded(code: str) -> Site | None:
    return next((s for s in _sites.get().values() if s.code == code), None) or Site.objects.filter(code=code).first()


def active_user(username: str) -> User | None:
    """An active user by username, with their home site's id read in the same query (see home_site)."""
    first_site = Site.objects.filter(members=OuterRef("pk")).order_by("code").values("pk")[:1]
    return User.objects.filter(username=username, is_active=True).annotate(home_site_pk=Subquery(first_site)).first()


def home_site(user: User) -> Site | None:
    """The user's site with the lowest code: the default site of what they raise."""
    site_pk = getattr(user, "home_site_pk", None) if hasattr(user, "home_site_pk") else _first_site_pk(user)
    if site_pk is None:
        return None
    return _sites.get().get(site_pk) or Site.objects.filter(pk=site_pk).first()


def _first_site_pk(user: User) -> int | None:
    return user.sites.order_by("code").values_list("pk", flat=True).first()
