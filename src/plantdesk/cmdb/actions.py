"""Every write to the CMDB goes through these functions (ARCHITECTURE rule 1), each one audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.cmdb.attributes import validate_attributes
from plantdesk.cmdb.choices import Status
from plantdesk.cmdb.fields import AUDITED, check_site, resolve_ci_fields
from plantdesk.cmdb.models import RECORD_TYPE, CIAlias, ConfigurationItem, Relationship
from plantdesk.cmdb.queries import relationship_types
from plantdesk.core import audit
from plantdesk.core.domain_events import Changes, changes_between, record_event
from plantdesk.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound


def do_create_ci(data: Mapping[str, Any], *, actor: User) -> ConfigurationItem:
    if not actor.is_fulfiller:
        raise Forbidden("Only agents and administrators change the CMDB.")
    errors: list[FieldError] = []
    if not str(data.get("name") or "").strip():
        errors.append(FieldError("name", "This field is required."))
    if "ci_class" not in data:
        errors.append(FieldError("ci_class", "This field is required."))
    values = resolve_ci_fields(data, errors)
    aliases = values.pop("aliases", [])
    check_site(values.get("site"), actor, errors)
    _check_unique(values.get("name"), aliases, None, errors)
    if values.get("ci_class") is not None:
        errors += validate_attributes(values["ci_class"].attribute_schema, values.get("attributes", {}))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        now = timezone.now()
        ci = ConfigurationItem(created_at=now, updated_at=now, **values)
        ci.save(force_insert=True)
        CIAlias.objects.bulk_create([CIAlias(ci=ci, value=a) for a in aliases])
        _audit(actor, ci, "created", new=ci.name)
        before, after = audit.default_snapshot(ConfigurationItem, AUDITED), audit.snapshot(ci, AUDITED)
        audit.record_changes(actor=actor, obj=ci, record_type=RECORD_TYPE, before=before, after=after,
                             action="created")  # fmt: skip
        if aliases:
            _audit(actor, ci, "created", field="aliases", new=", ".join(sorted(aliases)))
        _emit("created", ci, actor, changes_between(before, after))
    return ci


def do_update_ci(ci: ConfigurationItem, data: Mapping[str, Any], *, actor: User) -> ConfigurationItem:
    errors: list[FieldError] = []
    values = resolve_ci_fields(data, errors)
    if "status" in values and values["status"] == Status.RETIRED:
        errors.append(FieldError("status", "Retire a CI with its own action, which asks for a reason."))
    aliases = values.pop("aliases", None)
    with audit.action_transaction():
        locked = _lock(ci, actor)
        if locked.status == Status.RETIRED:
            raise Conflict(f"{locked.name} is retired and cannot be changed.")
        if "site" in values:
            check_site(values["site"], actor, errors)
        _check_unique(values.get("name"), aliases or [], locked, errors)
        ci_class = values.get("ci_class") or locked.ci_class
        if "attributes" in values or "ci_class" in values:
            errors += validate_attributes(ci_class.attribute_schema, values.get("attributes", locked.attributes))
        if errors:
            raise InvalidInput.for_fields(errors)
        before = audit.snapshot(locked, AUDITED)
        for name, value in values.items():
            setattr(locked, name, value)
        after = audit.snapshot(locked, AUDITED)
        changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after)
        changes = changes_between(before, after, changed)
        if aliases is not None:
            changes.update(_replace_aliases(locked, aliases, actor))
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            _emit("updated", locked, actor, changes)
    return locked


def do_retire_ci(ci: ConfigurationItem, reason: str, *, actor: User) -> ConfigurationItem:
    """Retire, never delete: records keep pointing at the CI (DOMAIN.md section 5)."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "A reason is required to retire a CI.")
    with audit.action_transaction():
        locked = _lock(ci, actor)
        if locked.status == Status.RETIRED:
            return locked
        before = audit.snapshot(locked, AUDITED)
        now = timezone.now()
        locked.status, locked.retired_at, locked.retire_reason, locked.updated_at = Status.RETIRED, now, reason, now
        after = audit.snapshot(locked, AUDITED)
        changed = audit.record_changes(actor=actor, obj=locked, record_type=RECORD_TYPE, before=before, after=after,
                                       action="retired", reason=reason)  # fmt: skip
        locked.save()
        _emit("retired", locked, actor, changes_between(before, after, changed), {"reason": reason})
    return locked


def do_create_relationship(source: str, type_name: str, target: str, *, actor: User) -> Relationship:
    errors: list[FieldError] = []
    rel_type = relationship_types().get(type_name) if isinstance(type_name, str) else None
    if rel_type is None:
        errors.append(FieldError("type", f"Unknown relationship type {type_name!r}."))
    changeable = restrict(actor, "change", ConfigurationItem).select_related("ci_class")
    source_ci = changeable.filter(name=source).first()
    target_ci = restrict(actor, "view", ConfigurationItem).select_related("ci_class").filter(name=target).first()
    if source_ci is None:
        errors.append(FieldError("source", f"Unknown CI {source!r}."))
    if target_ci is None:
        errors.append(FieldError("target", f"Unknown CI {target!r}."))
    if source_ci and target_ci and source_ci.pk == target_ci.pk:
        errors.append(FieldError("target", "A CI cannot relate to itself."))
    for field, ci in (("source", source_ci), ("target", target_ci)):
        if ci is not None and ci.status == Status.RETIRED:
            errors.append(FieldError(field, f"{ci.name} is retired and takes no new relationships."))
    if rel_type and source_ci and rel_type.source_classes and source_ci.ci_class.name not in rel_type.source_classes:
        errors.append(FieldError("source", f"'{type_name}' starts at {', '.join(rel_type.source_classes)}."))
    if rel_type and target_ci and rel_type.target_classes and target_ci.ci_class.name not in rel_type.target_classes:
        errors.append(FieldError("target", f"'{type_name}' points to {', '.join(rel_type.target_classes)}."))
    if not errors and Relationship.objects.filter(source=source_ci, type=rel_type, target=target_ci).exists():
        errors.append(FieldError("target", "This relationship exists already."))
    if errors or source_ci is None or target_ci is None or rel_type is None:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        relationship = Relationship.objects.create(source=source_ci, type=rel_type, target=target_ci)
        text = f"{source_ci.name} {rel_type.name} {target_ci.name}"
        _audit(actor, source_ci, "relationship_added", field="relationship", new=text)
        _audit(actor, target_ci, "relationship_added", field="relationship", new=text)
    return relationship


def do_delete_relationship(relationship: Relationship, *, actor: User) -> None:
    """Remove a relationship; a retired CI's relationships stay as they were, like the rest of its record."""
    retired = [ci.name for ci in (relationship.source, relationship.target) if ci.status == Status.RETIRED]
    if retired:
        raise Conflict(f"{retired[0]} is retired; its relationships are kept as they were.")
    with audit.action_transaction():
        source = _lock(relationship.source, actor)
        text = f"{source.name} {relationship.type.name} {relationship.target.name}"
        deleted, _ = Relationship.objects.filter(pk=relationship.pk).delete()
        if deleted:
            _audit(actor, source, "relationship_removed", field="relationship", old=text)
            _audit(actor, relationship.target, "relationship_removed", field="relationship", old=text)


def _lock(ci: ConfigurationItem, actor: User) -> ConfigurationItem:
    locked = (
        restrict(actor, "change", ConfigurationItem)
        .select_for_update(of=("self",))  # PostgreSQL locks no nullable outer-joined rows
        .select_related("ci_class", "site", "support_group")
        .filter(pk=ci.pk)
        .first()
    )
    if locked is None:
        if restrict(actor, "view", ConfigurationItem).filter(pk=ci.pk).exists():
            raise Forbidden(
                f"You may read {ci.name} but not change it: it belongs to another site or to the administrators."
            )
        raise NotFound(f"CI {ci.name} not found.")
    return locked


def _check_unique(name: str | None, aliases: list[str], ci: ConfigurationItem | None, errors: list[FieldError]) -> None:
    others = ConfigurationItem.objects.exclude(pk=ci.pk) if ci else ConfigurationItem.objects.all()
    if name and others.filter(name=name).exists():
        errors.append(FieldError("name", f"A CI named {name!r} exists already."))
    taken = CIAlias.objects.filter(value__in=aliases).exclude(ci=ci).select_related("ci") if aliases else []
    for alias in taken:
        errors.append(FieldError("aliases", f"{alias.value!r} is already an alias of {alias.ci.name}."))


def _replace_aliases(ci: ConfigurationItem, aliases: list[str], actor: User) -> Changes:
    current = set(ci.aliases.values_list("value", flat=True))
    if current == set(aliases):
        return {}
    CIAlias.objects.filter(ci=ci).exclude(value__in=aliases).delete()
    CIAlias.objects.bulk_create([CIAlias(ci=ci, value=a) for a in aliases if a not in current])
    old, new = ", ".join(sorted(current)), ", ".join(sorted(aliases))
    _audit(actor, ci, "updated", field="aliases", old=old, new=new)
    return {"aliases": {"old": old, "new": new}}


def _emit(what: str, ci: ConfigurationItem, actor: User, changes: Changes, data: dict[str, Any] | None = None) -> None:
    """`ci.<what>` for the other apps' consumers."""
    record_event(f"{RECORD_TYPE}.{what}", record_type=RECORD_TYPE, record=ci, actor=actor, changes=changes, data=data)


def _audit(actor: User, ci: ConfigurationItem, action: str, **kwargs: Any) -> None:
    audit.record(actor=actor, record_type=RECORD_TYPE, record_id=ci.pk, record_label=ci.name, action=action, **kwargs)
