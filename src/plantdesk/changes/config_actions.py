"""Administrators' configuration of change enablement: approval policies and standard-change templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from plantdesk.accounts.lookups import group_named, site_coded
from plantdesk.accounts.models import User
from plantdesk.changes.choices import ApprovalRule, ChangeType, Risk
from plantdesk.changes.models import ApprovalPolicy, ApprovalPolicyLevel, StandardChangeTemplate
from plantdesk.changes.queries import CHANGE_AUTHORITIES
from plantdesk.core import audit
from plantdesk.core.errors import FieldError, Forbidden, InvalidInput


@dataclass(frozen=True)
class LevelSpec:
    group: str
    rule: str = ApprovalRule.ANY
    percentage: int = 50
    signature_required: bool = False


def do_create_approval_policy(
    name: str,
    levels: Sequence[LevelSpec],
    *,
    actor: User,
    order: int = 100,
    change_type: str = "",
    min_risk: str = "",
    site: str = "",
    gxp_only: bool = False,
) -> ApprovalPolicy:
    if actor.role not in CHANGE_AUTHORITIES:
        raise Forbidden("Only change managers and administrators configure approval policies.")
    errors: list[FieldError] = []
    if not name.strip() or ApprovalPolicy.objects.filter(name=name).exists():
        errors.append(FieldError("name", "A policy needs a name of its own."))
    if change_type and change_type not in ChangeType.values:
        errors.append(FieldError("change_type", f"Use one of {', '.join(ChangeType.values)}."))
    if min_risk and min_risk not in Risk.values:
        errors.append(FieldError("min_risk", f"Use one of {', '.join(Risk.values)}."))
    site_row = site_coded(site) if site else None
    if site and site_row is None:
        errors.append(FieldError("site", f"Unknown site {site!r}."))
    if not levels:
        errors.append(FieldError("levels", "A policy needs at least one level."))
    groups = [group_named(level.group) for level in levels]
    for i, (level, group) in enumerate(zip(levels, groups, strict=True), 1):
        if group is None:
            errors.append(FieldError(f"levels.{i}.group", f"Unknown assignment group {level.group!r}."))
        if level.rule not in ApprovalRule.values:
            errors.append(FieldError(f"levels.{i}.rule", f"Use one of {', '.join(ApprovalRule.values)}."))
        if not 1 <= level.percentage <= 100:
            errors.append(FieldError(f"levels.{i}.percentage", "Between 1 and 100."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        policy = ApprovalPolicy.objects.create(
            name=name, order=order, change_type=change_type, min_risk=min_risk, site=site_row, gxp_only=gxp_only
        )
        for i, (level, group) in enumerate(zip(levels, groups, strict=True), 1):
            assert group is not None
            ApprovalPolicyLevel.objects.create(
                policy=policy, level=i, group=group, rule=level.rule, percentage=level.percentage,
                signature_required=level.signature_required,
            )  # fmt: skip
        summary = " -> ".join(f"{lv.group} ({lv.rule})" for lv in levels)
        audit.record(
            actor=actor, record_type="approval_policy", record_id=policy.pk, record_label=name, action="created",
            new=f"type={change_type or 'any'} min_risk={min_risk or 'any'} site={site or 'any'} gxp_only={gxp_only}: "
            + summary,
        )  # fmt: skip
    return policy


def do_create_template(
    name: str,
    *,
    actor: User,
    short_description: str,
    implementation_plan: str,
    backout_plan: str,
    test_plan: str,
    risk: str = Risk.LOW,
    ot_tasks: bool = False,
    description: str = "",
) -> StandardChangeTemplate:
    if actor.role not in CHANGE_AUTHORITIES:
        raise Forbidden("Only change managers and administrators maintain the standard-change catalog.")
    errors: list[FieldError] = []
    if not name.strip() or StandardChangeTemplate.objects.filter(name=name).exists():
        errors.append(FieldError("name", "A template needs a name of its own."))
    for field, value in (
        ("short_description", short_description), ("implementation_plan", implementation_plan),
        ("backout_plan", backout_plan), ("test_plan", test_plan),
    ):  # fmt: skip
        if not value.strip():
            errors.append(FieldError(field, "Required: a standard change is pre-approved for exactly this plan."))
    if risk not in Risk.values:
        errors.append(FieldError("risk", f"Use one of {', '.join(Risk.values)}."))
    if errors:
        raise InvalidInput.for_fields(errors)
    with audit.action_transaction():
        template = StandardChangeTemplate.objects.create(
            name=name, short_description=short_description, implementation_plan=implementation_plan,
            backout_plan=backout_plan, test_plan=test_plan, risk=risk, ot_tasks=ot_tasks, description=description,
        )  # fmt: skip
        audit.record(
            actor=actor, record_type="change_template", record_id=template.pk, record_label=name, action="created"
        )
    return template
