"""Writes to the service catalog: categories and items. Editing an item's definition makes a new version;
request items keep the version they were ordered in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import AssignmentGroup, Site, User
from plantdesk.core import audit
from plantdesk.core.errors import Forbidden, InvalidInput
from plantdesk.core.fields import Errors, boolean, name_list, text
from plantdesk.requests import definitions, questions
from plantdesk.requests.models import CATALOG_RECORD_TYPE, CatalogCategory, CatalogItem, CatalogItemVersion
from plantdesk.requests.record import audit_entry

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
VERSIONED = ("title", "description", "gxp", "questions", "approval", "tasks", "access")
ITEM_FIELDS = frozenset({"name", "category", "active", "order", "audience", *VERSIONED})
ADMINS_ONLY = "Only administrators maintain the catalog."


def _admin(actor: User) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden(ADMINS_ONLY)


def do_create_category(data: Mapping[str, Any], *, actor: User) -> CatalogCategory:
    _admin(actor)
    errors = Errors()
    name = text(data.get("name"), "name", errors, max_length=60, required=True)
    if name and not SLUG.match(name):
        errors.add("name", "A slug: lower-case letters, digits and dashes (at most 60).")
    title = text(data.get("title"), "title", errors, max_length=100, required=True)
    description = text(data.get("description"), "description", errors, max_length=300)
    order = data.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 10000:
        errors.add("order", "A whole number from 0 to 10000.")
    if name and CatalogCategory.objects.filter(name=name).exists():
        errors.add("name", f"A category named {name} exists.")
    errors.raise_if_any()
    with audit.action_transaction():
        category = CatalogCategory.objects.create(name=name, title=title, description=description, order=order)
        audit_entry(actor, "catalog_category", category, "created", new=title)
    return category


def do_create_catalog_item(data: Mapping[str, Any], *, actor: User) -> CatalogItem:
    _admin(actor)
    _refuse_unknown(data)
    errors = Errors()
    name = text(data.get("name"), "name", errors, max_length=60, required=True)
    if name and not SLUG.match(name):
        errors.add("name", "A slug: lower-case letters, digits and dashes (at most 60).")
    if name and CatalogItem.objects.filter(name=name).exists():
        errors.add("name", f"A catalog item named {name} exists (names are never reused).")
    values = _item_values(data, errors, creating=True)
    definition = _definition(data, None, errors)
    errors.raise_if_any()
    with audit.action_transaction():
        now = timezone.now()
        item = CatalogItem(name=name, created_at=now, updated_at=now, **values.pop("plain"))
        item.save(force_insert=True)
        _set_audience(item, values)
        version = CatalogItemVersion.objects.create(item=item, version=1, created_by=actor, created_at=now,
                                                    **definition)  # fmt: skip
        item.current = version
        item.save(update_fields=["current"])
        audit_entry(actor, CATALOG_RECORD_TYPE, item, "created", new=f"{name} v1")
    return item


def do_update_catalog_item(item: CatalogItem, data: Mapping[str, Any], *, actor: User) -> CatalogItem:
    """Change the item: audience, category, order, active in place; anything of its definition as a new
    version (unchanged definitions make none)."""
    _admin(actor)
    _refuse_unknown(data)
    if "name" in data and data["name"] != item.name:
        raise InvalidInput.for_field("name", "A catalog item's name cannot change (orders refer to it).")
    errors = Errors()
    values = _item_values(data, errors, creating=False)
    with audit.action_transaction():
        rows = CatalogItem.objects.select_for_update(of=("self",))  # `current` is a nullable join
        locked = rows.select_related("current", "category").get(pk=item.pk)
        current = locked.current
        assert current is not None
        definition = _definition(data, current, errors)
        errors.raise_if_any()
        now = timezone.now()
        for field, value in values.pop("plain").items():
            old = getattr(locked, field)
            if old != value:
                setattr(locked, field, value)
                audit_entry(actor, CATALOG_RECORD_TYPE, locked, "updated", field=field, old=old, new=value)
        _set_audience(locked, values, actor=actor)
        if any(definition[f] != getattr(current, f) for f in VERSIONED):
            version = CatalogItemVersion.objects.create(
                item=locked, version=current.version + 1, created_by=actor, created_at=now, **definition
            )
            changed = [f for f in VERSIONED if definition[f] != getattr(current, f)]
            locked.current = version
            audit_entry(actor, CATALOG_RECORD_TYPE, locked, "new_version", field=", ".join(changed),
                        old=f"v{current.version}", new=f"v{version.version}")  # fmt: skip
        locked.updated_at = now
        locked.save()
    return locked


def _refuse_unknown(data: Mapping[str, Any]) -> None:
    unknown = sorted(set(data) - ITEM_FIELDS)
    if unknown:
        raise InvalidInput.for_field(unknown[0], "Unknown field.")


def _item_values(data: Mapping[str, Any], errors: Errors, *, creating: bool) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    if creating or "category" in data:
        category = CatalogCategory.objects.filter(name=data.get("category")).first()
        if category is None:
            errors.add("category", f"Unknown category: {data.get('category')}.")
        plain["category"] = category
    if "active" in data:
        plain["active"] = boolean(data["active"], "active", errors)
    if "order" in data:
        order = data["order"]
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 10000:
            errors.add("order", "A whole number from 0 to 10000.")
        plain["order"] = order
    values: dict[str, Any] = {"plain": plain}
    if "audience" in data:
        values["audience"] = _audience(data["audience"], errors)
    return values


def _audience(raw: Any, errors: Errors) -> dict[str, Any]:
    """{"roles": [...], "sites": [codes], "groups": [names]}: who sees the item (empty: everyone)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or set(raw) - {"roles", "sites", "groups"}:
        errors.add("audience", 'Give {"roles": [...], "sites": [...], "groups": [...]}.')
        return {}
    roles = name_list(raw.get("roles"), "audience.roles", errors, limit=10, noun="roles") or []
    for role in roles:
        if role not in Role.values:
            errors.add("audience.roles", f"Unknown role: {role}.")
    codes = name_list(raw.get("sites"), "audience.sites", errors, limit=200, noun="site codes") or []
    sites = list(Site.objects.filter(code__in=codes))
    errors.unknown("audience.sites", "site", sorted(set(codes) - {s.code for s in sites}))
    names = name_list(raw.get("groups"), "audience.groups", errors, limit=200, noun="group names") or []
    groups = list(AssignmentGroup.objects.filter(name__in=names))
    errors.unknown("audience.groups", "group", sorted(set(names) - {g.name for g in groups}))
    return {"roles": roles, "sites": sites, "groups": groups}


def _set_audience(item: CatalogItem, values: dict[str, Any], actor: User | None = None) -> None:
    audience = values.get("audience")
    if audience is None:
        return
    old = audience_of(item) if actor is not None else None
    item.audience_roles = f",{','.join(audience['roles'])}," if audience["roles"] else ""
    item.save(update_fields=["audience_roles"])
    item.audience_sites.set(audience["sites"])
    item.audience_groups.set(audience["groups"])
    new = audience_of(item)
    if actor is not None and old != new:
        audit_entry(actor, CATALOG_RECORD_TYPE, item, "updated", field="audience", old=old, new=new)


def audience_of(item: CatalogItem) -> dict[str, list[str]]:
    return {
        "roles": [r for r in item.audience_roles.split(",") if r],
        "sites": sorted(s.code for s in item.audience_sites.all()),
        "groups": sorted(g.name for g in item.audience_groups.all()),
    }


def _definition(data: Mapping[str, Any], current: CatalogItemVersion | None, errors: Errors) -> dict[str, Any]:
    """The version's fields: given ones checked, the others carried over from the current version."""

    def given(field: str, default: Any) -> Any:
        return data[field] if field in data else (getattr(current, field) if current is not None else default)

    required = current is None or "title" in data
    title = text(given("title", ""), "title", errors, max_length=120, required=required)
    description = text(given("description", ""), "description", errors, max_length=5000)
    gxp = boolean(given("gxp", False), "gxp", errors)
    asked = questions.checked_questions(given("questions", []), errors)
    approval = definitions.checked_approval(given("approval", []), errors)
    if gxp and definitions.QA not in approval:
        errors.add("approval", "A GxP item needs a qa step (QA approves, with an e-signature).")
    tasks = definitions.checked_tasks(given("tasks", []), errors)
    access = definitions.checked_access(given("access", None), asked, errors)
    return {"title": title, "description": description, "gxp": gxp, "questions": asked, "approval": approval,
            "tasks": tasks, "access": access}  # fmt: skip
