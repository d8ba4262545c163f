"""Record fields that name CIs: one resolver for incidents, changes, windows and the schedule. A CI is named
by its name, else by an alias (hostname, IP, Sparkplug path: what an MES or a person types), among the CIs the
actor may see; a record cannot take a retired CI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.models import CIAlias, ConfigurationItem
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core.fields import Errors, name_list

NAME_LENGTH = 255


def ci_field(value: Any, field: str, errors: Errors, actor: User) -> ConfigurationItem | None:
    """One CI a record refers to (an incident's `ci`)."""
    if value in (None, ""):
        return None
    ci = find_visible_ci(actor, value.strip()) if isinstance(value, str) and len(value) <= NAME_LENGTH else None
    if ci is None:
        errors.add(field, f"Unknown configuration item {value!r}.")
    elif ci.status == Status.RETIRED:
        errors.add(field, f"Configuration item {ci.name} is retired.")
    return ci


def cis_named(actor: User, names: Sequence[str], field: str, errors: Errors) -> dict[str, ConfigurationItem]:
    """Name (or alias) -> CI for every given name the actor can see, in two queries; the others are named in
    one error (windows and the schedule take retired CIs too: their history stays readable)."""
    if not names:
        return {}
    visible = restrict(actor, "view", ConfigurationItem).select_related("site", "ci_class")
    found = {ci.name: ci for ci in visible.filter(name__in=list(names))}
    rest = [n for n in names if n not in found]
    if rest:
        aliases = CIAlias.objects.filter(value__in=rest, ci__in=visible.values("pk")).select_related(
            "ci__site", "ci__ci_class"
        )
        found.update({alias.value: alias.ci for alias in aliases})
    errors.unknown(field, "CI", [n for n in names if n not in found])
    return found


def ci_list_field(value: Any, field: str, errors: Errors, actor: User, *, limit: int) -> list[ConfigurationItem] | None:
    """The CIs a record affects (a change's `cis`): a list of names or aliases, each known, none retired; the
    same CI named twice counts once."""
    names = name_list(value, field, errors, limit=limit, noun="CI names")
    if names is None:
        return None
    found = cis_named(actor, names, field, errors)
    retired = sorted({ci.name for ci in found.values() if ci.status == Status.RETIRED})
    if retired:
        errors.add(field, f"Retired configuration item(s) take no changes: {', '.join(retired)}.")
    return list({ci.pk: ci for ci in (found[n] for n in names if n in found)}.values())
