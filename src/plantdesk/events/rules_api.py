"""/api/v1/alert-rules and /api/v1/mapping-rules: the ordered rules the processor applies (administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import ConfigDict, WithJsonSchema

from plantdesk.api.auth import actor_of
from plantdesk.core.errors import Forbidden, NotFound
from plantdesk.events.ingest import SEVERITIES
from plantdesk.events.models import AlertRule, MappingRule
from plantdesk.events.rule_actions import FIELD_NAMES, do_create_alert_rule, do_create_mapping_rule, do_delete_rule

alert_rules_router = Router(tags=["events"])
mapping_rules_router = Router(tags=["events"])


# Any value at run time: the actions check each field and name it in a 400. Documented with the shape they accept.
_Text100 = {"type": "string", "minLength": 1, "maxLength": 100}
Position = Annotated[Any, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 100_000})]
Name = Annotated[Any, WithJsonSchema(_Text100)]
_SEVERITY = {"type": "string", "enum": [s for s in SEVERITIES if s != "clear"]}
Severities = Annotated[
    Any, WithJsonSchema({"type": ["array", "null"], "items": _SEVERITY, "description": "empty: any"})
]
Texts = Annotated[Any, WithJsonSchema({"type": ["array", "null"], "items": _Text100, "description": "empty: any"})]
Action = Annotated[Any, WithJsonSchema({"type": "string", "enum": list(dict(AlertRule.ACTIONS))})]
MatchField = Annotated[Any, WithJsonSchema({"type": "string", "enum": FIELD_NAMES})]
Pattern = Annotated[Any, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255})]
CatalogItemName = Annotated[
    Any, WithJsonSchema({"type": ["string", "null"], "description": "open_request: what it orders"})
]
CIName = Annotated[Any, WithJsonSchema({"type": "string", "description": "a CI's name or alias"})]


class AlertRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    position: Position = None
    name: Name = None
    severities: Severities = None
    sources: Texts = None
    ci_classes: Texts = None
    sites: Texts = None
    action: Action = None
    catalog_item: CatalogItemName = None


class AlertRuleOut(Schema):
    id: int
    position: int
    name: str
    severities: list[str]
    sources: list[str]
    ci_classes: list[str]
    sites: list[str]
    action: str
    catalog_item: str | None
    enabled: bool

    @staticmethod
    def resolve_catalog_item(rule: AlertRule) -> str | None:
        return rule.catalog_item.name if rule.catalog_item is not None else None


class MappingRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")

    position: Position = None
    field: MatchField = None
    pattern: Pattern = None
    ci: CIName = None


class MappingRuleOut(Schema):
    id: int
    position: int
    field: str
    pattern: str
    ci: str


def _admin(request: HttpRequest) -> None:
    if not actor_of(request).is_plantdesk_admin:
        raise Forbidden("Event rules are configured by administrators.")


def mapping_to_dict(rule: MappingRule) -> dict[str, Any]:
    return {"id": rule.pk, "position": rule.position, "field": rule.field, "pattern": rule.pattern,
            "ci": rule.ci.name}  # fmt: skip


@alert_rules_router.get("", response=list[AlertRuleOut], summary="Alert-to-incident rules, in order")
def list_alert_rules(request: HttpRequest) -> list[AlertRule]:
    _admin(request)
    return list(AlertRule.objects.select_related("catalog_item").order_by("position", "id"))


@alert_rules_router.post("", response={201: AlertRuleOut}, summary="Add an alert-to-incident rule")
def create_alert_rule(request: HttpRequest, payload: AlertRuleIn) -> Status[AlertRule]:
    return Status(201, do_create_alert_rule(payload.model_dump(exclude_unset=True), actor=actor_of(request)))


@alert_rules_router.delete("/{rule_id}", response={204: None}, summary="Remove an alert-to-incident rule")
def delete_alert_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    _admin(request)
    rule = AlertRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"No alert rule {rule_id}.")
    do_delete_rule(rule, actor=actor_of(request))
    return Status(204, None)


@mapping_rules_router.get("", response=list[MappingRuleOut], summary="CI mapping rules, in order")
def list_mapping_rules(request: HttpRequest) -> list[dict[str, Any]]:
    _admin(request)
    return [mapping_to_dict(r) for r in MappingRule.objects.select_related("ci").order_by("position", "id")]


@mapping_rules_router.post("", response={201: MappingRuleOut}, summary="Add a CI mapping rule")
def create_mapping_rule(request: HttpRequest, payload: MappingRuleIn) -> Status[dict[str, Any]]:
    rule = do_create_mapping_rule(payload.model_dump(exclude_unset=True), actor=actor_of(request))
    return Status(201, mapping_to_dict(rule))


@mapping_rules_router.delete("/{rule_id}", response={204: None}, summary="Remove a CI mapping rule")
def delete_mapping_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    _admin(request)
    rule = MappingRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(f"No mapping rule {rule_id}.")
    do_delete_rule(rule, actor=actor_of(request))
    return Status(204, None)
