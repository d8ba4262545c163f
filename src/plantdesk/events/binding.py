"""Which CI an alert is about: the event's explicit `ci`, else its node, each by CI name then alias, else the
first mapping rule that matches; and the area (line) a flood is counted in."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from plantdesk.cmdb.impact import impact
from plantdesk.cmdb.models import CIAlias, ConfigurationItem
from plantdesk.core.config_cache import ConfigCache, config_cache
from plantdesk.events.models import MappingRule

AREA_CLASSES = ("line", "area")  # the nearest of these that a CI's failure reaches is its flood area

_mapping_rules = config_cache(lambda: list(MappingRule.objects.order_by("position", "id")))
# CI id -> area name, forgotten with the other configuration caches (a relationship change shows within 30 s).
_areas: ConfigCache[dict[int, str]] = config_cache(dict)


def bind(events: Iterable[dict[str, Any]]) -> dict[str, ConfigurationItem | None]:
    """The CI of each event's dedup key, looked up for all of them in two queries plus the mapping rules."""
    events = list(events)
    names = {str(e[field]) for e in events for field in ("ci", "node") if e.get(field)}
    by_name = _cis_named(names)
    bound: dict[str, ConfigurationItem | None] = {}
    rules = _mapping_rules.get()
    mapped: dict[int, ConfigurationItem | None] = {}  # rule id -> its CI, read once per batch
    for event in events:
        ci = next((by_name[str(event[f])] for f in ("ci", "node") if event.get(f) and str(event[f]) in by_name), None)
        rule = None if ci is not None else _matching_rule(event, rules)
        if rule is not None:
            if rule.pk not in mapped:
                live = ConfigurationItem.objects.filter(retired_at__isnull=True).select_related("ci_class", "site")
                mapped[rule.pk] = live.filter(pk=rule.ci_id).first()
            ci = mapped[rule.pk]
        bound[event["_dedup_key"]] = ci
    return bound


def _cis_named(names: set[str]) -> dict[str, ConfigurationItem]:
    """Name or alias -> CI, retired CIs left out (a retired CI takes no new alerts, like no new incidents)."""
    if not names:
        return {}
    live = ConfigurationItem.objects.filter(retired_at__isnull=True).select_related("ci_class", "site")
    found = {ci.name: ci for ci in live.filter(name__in=names)}
    aliases = CIAlias.objects.filter(value__in=names - set(found), ci__retired_at__isnull=True)
    for alias in aliases.select_related("ci__ci_class", "ci__site"):
        found[alias.value] = alias.ci
    return found


def _matching_rule(event: dict[str, Any], rules: list[MappingRule]) -> MappingRule | None:
    return next((r for r in rules if isinstance(v := event.get(r.field), str) and fnmatchcase(v, r.pattern)), None)


def area_of(ci: ConfigurationItem | None, event: dict[str, Any]) -> str:
    """The line or area whose alarms count together for flood detection: the sender's own `area`/`line`
    attribute if given, else the nearest line or area the CI's failure reaches (the CI itself if it is one)."""
    attributes = event.get("attributes") or {}
    for key in ("line", "area"):
        if isinstance(attributes.get(key), str) and attributes[key]:
            return str(attributes[key])[:255]
    if ci is None:
        return ""
    if ci.ci_class.name in AREA_CLASSES:
        return ci.name
    areas = _areas.get()
    if ci.pk not in areas:
        reached = impact(ci, "downstream", depth=6, limit=500).items
        areas[ci.pk] = next((i.name for cls in AREA_CLASSES for i in reached if i.ci_class == cls), "")
    return areas[ci.pk]
