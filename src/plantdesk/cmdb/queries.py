"""The read side of the CMDB: permission scope, lookups by name or alias, list filters."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import Action, register_scope, restrict, user_site_ids
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.models import CIAlias, CIClass, ConfigurationItem, Relationship, RelationshipType
from plantdesk.core.config_cache import config_cache


def ci_scope(user: User, action: Action) -> Q | None:
    """Everyone signed in reads the CMDB of their sites (requesters pick CIs when raising incidents) and the
    enterprise-wide CIs (no site); agents change the CIs of their sites; the enterprise-wide ones (ERP, WAN)
    are the administrators' (who see and change everything)."""
    if action == "change":
        return Q(site__in=user_site_ids(user)) if user.is_fulfiller else Q(pk__in=[])
    return Q(site__in=user_site_ids(user)) | Q(site__isnull=True)


register_scope(ConfigurationItem, ci_scope)

_classes = config_cache(lambda: {c.name: c for c in CIClass.objects.all()})
_types = config_cache(lambda: {t.name: t for t in RelationshipType.objects.all()})


def ci_classes() -> dict[str, CIClass]:
    return _classes.get()


def relationship_types() -> dict[str, RelationshipType]:
    return _types.get()


def visible_cis(user: User) -> QuerySet[ConfigurationItem]:
    return restrict(user, "view", ConfigurationItem).select_related("ci_class", "site", "support_group")


def get_visible_ci(user: User, name: str) -> ConfigurationItem | None:
    return visible_cis(user).filter(name=name).prefetch_related("aliases").first()


def find_visible_ci(user: User, name_or_alias: str) -> ConfigurationItem | None:
    """The CI a person or an integration means: by its name first, else by one of its aliases
    (hostname, IP, Sparkplug node...)."""
    # Lean: the site and the support group are what an incident takes from its CI; no ORDER BY for first().
    lean = restrict(user, "view", ConfigurationItem).select_related("site", "support_group")
    found = next(iter(lean.filter(name=name_or_alias)[:1]), None)
    return found or next(iter(lean.filter(aliases__value=name_or_alias)[:1]), None)


def suggest_cis(user: User, typed: str, limit: int = 15) -> list[tuple[str, str]]:
    """(name, what matched) of in-service CIs whose name or an alias starts with `typed` (case-insensitive)."""
    live = visible_cis(user).exclude(status=Status.RETIRED)
    by_name = live.filter(name__istartswith=typed).order_by("name").values_list("name", "ci_class__label")[:limit]
    found = [(name, label) for name, label in by_name]
    if len(found) < limit:
        aliases = CIAlias.objects.filter(value__istartswith=typed, ci__in=live.values("pk"))
        for value, name in aliases.order_by("value").values_list("value", "ci__name")[: limit - len(found)]:
            found.append((name, f"alias {value}"))
    return found


@dataclass(frozen=True)
class CIFilters:
    ci_class: str | None = None
    site: str | None = None
    status: str | None = None
    q: str | None = None


def filter_cis(qs: QuerySet[ConfigurationItem], f: CIFilters) -> QuerySet[ConfigurationItem]:
    if f.ci_class:
        qs = qs.filter(ci_class__name=f.ci_class)
    if f.site:
        qs = qs.filter(site__code=f.site)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(aliases__value=f.q)).distinct()
    return qs


def relationships_of(ci: ConfigurationItem) -> QuerySet[Relationship]:
    return (
        Relationship.objects.filter(Q(source=ci) | Q(target=ci))
        .select_related("source", "target", "type", "source__ci_class", "target__ci_class")
        .order_by("type__name", "source__name", "target__name")
    )
