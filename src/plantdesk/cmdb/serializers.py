"""CIs and relationships as the API shows them."""

from __future__ import annotations

from typing import Any

from plantdesk.cmdb.impact import ImpactResult
from plantdesk.cmdb.models import ConfigurationItem, Relationship

PLAIN_FIELDS = [
    "name", "status", "criticality", "description", "attributes", "gxp_relevant", "gamp_category",
    "validation_status", "part11_applicable", "system_owner", "process_owner", "qa_owner",
    "last_periodic_review", "next_periodic_review", "security_zone", "conduit", "security_level_target",
    "security_level_achieved", "purdue_level", "created_at", "updated_at", "retired_at", "retire_reason",
]  # fmt: skip


def ci_to_dict(ci: ConfigurationItem) -> dict[str, Any]:
    data = {name: getattr(ci, name) for name in PLAIN_FIELDS}
    data.update(
        ci_class=ci.ci_class.name,
        site=ci.site.code if ci.site else None,
        support_group=ci.support_group.name if ci.support_group else None,
        owner=ci.owner.username if ci.owner else None,
        aliases=sorted(a.value for a in ci.aliases.all()),
    )
    return data


def relationship_to_dict(relationship: Relationship) -> dict[str, Any]:
    return {
        "id": relationship.pk,
        "source": relationship.source.name,
        "type": relationship.type.name,
        "target": relationship.target.name,
    }


def impact_to_dict(result: ImpactResult) -> dict[str, Any]:
    return {
        "root": result.root.name,
        "items": [{"name": i.name, "ci_class": i.ci_class, "depth": i.depth, "path": i.path} for i in result.items],
        "services": [i.name for i in result.of_class("business_service")],
        "lines": [i.name for i in result.of_class("line")],
        "truncated": result.truncated,
    }
