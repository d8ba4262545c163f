"""Writes to the event rules (administrators): the ordered alert-to-incident rules and the CI mapping rules.
Validated field by field, audited; each process sees a change at once (its cache is cleared on save) and
the others within the configuration cache's 30 s."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plantdesk.accounts.models import Site, User
from plantdesk.cmdb.queries import ci_classes, find_visible_ci
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput
from plantdesk.events.ingest import SEVERITIES
from plantdesk.events.models import AlertRule, MappingRule
from plantdesk.requests.models import CatalogItem

FIELD_NAMES = [name for name, _ in MappingRule.FIELDS]


def _require_admin(actor: User) -> None:
    if not actor.is_plantdesk_admin:
        raise Forbidden("Event rules are configured by administrators.")


def _position(data: Mapping[str, Any], errors: list[FieldError]) -> int:
    position = data.get("position")
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= 100_000:
        errors.append(FieldError("position", "A whole number from 1 (first) to 100000."))
        return 0
    return position


def _texts(data: Mapping[str, Any], field: str, allowed: set[str] | None, errors: list[FieldError]) -> list[str]:
    values = data.get(field)
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values):
        errors.append(FieldError(field, "A list of texts (empty: any)."))
        return []
    unknown = sorted(set(values) - allowed) if allowed is not None else []
    if unknown:
        errors.append(FieldError(field, f"{unknown[0]}: unknown; one of {', '.join(sorted(allowed or []))}."))
    return list(values)


def do_create_alert_rule(data: Mapping[str, Any], *, actor: User) -> AlertRule:
    _require_admin(actor)
    errors: list[FieldError] = []
    position = _position(data, errors)
    name = data.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 100:
        errors.append(FieldError("name", "A name of 1 to 100 characters."))
    severities = _texts(data, "severities", set(SEVERITIES) - {"clear"}, errors)
    sources = _texts(data, "sources", None, errors)
    classes = _texts(data, "ci_classes", set(ci_classes()), errors)
    sites = _texts(data, "sites", set(Site.objects.values_list("code", flat=True)), errors)
    action = data.get("action", AlertRule.OPEN_INCIDENT)
    if not isinstance(action, str) or action not in dict(AlertRule.ACTIONS):
        errors.append(FieldError("action", f"One of {', '.join(dict(AlertRule.ACTIONS))}."))
    catalog_item = _catalog_item(data, action, errors)
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        rule = AlertRule.objects.create(position=position, name=name, severities=severities, sources=sources,
                                        ci_classes=classes, sites=sites, action=action,
                                        catalog_item=catalog_item)  # fmt: skip
        audit.record(actor=actor, record_type="alert_rule", record_id=rule.pk, record_label=name, action="created",
                     new=f"{position}. {action}")  # fmt: skip
    return rule


def _catalog_item(data: Mapping[str, Any], action: Any, errors: list[FieldError]) -> CatalogItem | None:
    """The item an `open_request` rule orders: active, and orderable without a person's answers or approval
    that an alert cannot give (a manager, questions other than its CI and texts)."""
    name = data.get("catalog_item")
    if action != AlertRule.OPEN_REQUEST:
        if name is not None:
            errors.append(FieldError("catalog_item", "Only an open_request rule orders a catalog item."))
        return None
    item = CatalogItem.objects.select_related("current").filter(name=str(name or ""), active=True).first()
    if item is None or item.current is None:
        errors.append(FieldError("catalog_item", f"Unknown catalog item: {name}."))
        return None
    if "manager" in item.current.approval:
        errors.append(FieldError("catalog_item", "An alert has no manager to ask: pick an item without one."))
    return item


def do_create_mapping_rule(data: Mapping[str, Any], *, actor: User) -> MappingRule:
    _require_admin(actor)
    errors: list[FieldError] = []
    position = _position(data, errors)
    field = data.get("field")
    if not isinstance(field, str) or field not in FIELD_NAMES:
        errors.append(FieldError("field", f"One of {', '.join(FIELD_NAMES)}."))
    pattern = data.get("pattern")
    if not isinstance(pattern, str) or not 0 < len(pattern) <= 255:
        errors.append(FieldError("pattern", "A shell-style pattern of 1 to 255 characters, e.g. ber-line4-*."))
    ci_name = data.get("ci")
    ci = find_visible_ci(actor, ci_name) if isinstance(ci_name, str) and ci_name else None
    if ci is None or ci.retired_at is not None:
        errors.append(FieldError("ci", "No CI in service has this name or alias."))
    if errors:
        raise InvalidInput.for_fields(errors)
    assert ci is not None
    with audit.action_transaction():
        rule = MappingRule.objects.create(position=position, field=str(field), pattern=str(pattern), ci=ci)
        audit.record(actor=actor, record_type="mapping_rule", record_id=rule.pk, record_label=str(pattern),
                     action="created", new=f"{field} ~ {pattern} -> {ci.name}")  # fmt: skip
    return rule


def do_delete_rule(rule: AlertRule | MappingRule, *, actor: User) -> None:
    """Rules are configuration, not GxP records: deleting one is allowed, and the audit trail keeps it."""
    _require_admin(actor)
    with audit.action_transaction():
        record_type = "alert_rule" if isinstance(rule, AlertRule) else "mapping_rule"
        audit.record(actor=actor, record_type=record_type, record_id=rule.pk, record_label=str(rule), action="deleted",
                     old=str(rule))  # fmt: skip
        rule.delete()
