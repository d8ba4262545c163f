"""API payloads of CONTRACT.md section 4. Unknown fields are refused; the actions check meanings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool

from plantdesk.core.api_types import JsonInt


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


Text = Annotated[str, Field(max_length=5000)]


class CIIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    ci_class: Annotated[str, Field(max_length=40)] | None = None
    status: str | None = None
    criticality: str | None = None
    site: str | None = None
    support_group: str | None = None
    owner: str | None = None
    description: Text | None = None
    aliases: list[Annotated[str, Field(max_length=255)]] | None = None
    attributes: dict[str, Any] | None = None
    gxp_relevant: StrictBool | None = None
    gamp_category: JsonInt | None = None
    validation_status: str | None = None
    part11_applicable: StrictBool | None = None
    system_owner: str | None = None
    process_owner: str | None = None
    qa_owner: str | None = None
    last_periodic_review: str | None = None
    next_periodic_review: str | None = None
    security_zone: str | None = None
    conduit: str | None = None
    security_level_target: JsonInt | None = None
    security_level_achieved: JsonInt | None = None
    purdue_level: str | None = None


class RetireIn(Strict):
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class RelationshipIn(Strict):
    source: Annotated[str, Field(max_length=255)]
    type: Annotated[str, Field(max_length=40)]
    target: Annotated[str, Field(max_length=255)]


class CIOut(Schema):
    name: str
    ci_class: str
    status: str
    criticality: str
    site: str | None
    support_group: str | None
    owner: str | None
    description: str
    aliases: list[str]
    attributes: dict[str, Any]
    gxp_relevant: bool
    gamp_category: int | None
    validation_status: str
    part11_applicable: bool
    system_owner: str
    process_owner: str
    qa_owner: str
    last_periodic_review: date | None
    next_periodic_review: date | None
    security_zone: str
    conduit: str
    security_level_target: int | None
    security_level_achieved: int | None
    purdue_level: str
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None
    retire_reason: str


class CIListOut(Schema):
    items: list[CIOut]
    count: int
    count_exact: bool


class CIClassOut(Schema):
    name: str
    label: str
    family: str
    attribute_schema: dict[str, Any]


class CIClassListOut(Schema):
    items: list[CIClassOut]


class RelationshipOut(Schema):
    id: int
    source: str
    type: str
    target: str


class RelationshipListOut(Schema):
    items: list[RelationshipOut]


class ImpactItemOut(Schema):
    name: str
    ci_class: str
    depth: int
    path: list[str]


class ImpactOut(Schema):
    root: str
    items: list[ImpactItemOut]
    services: list[str]
    lines: list[str]
    truncated: bool


Direction = Literal["downstream", "upstream"]


class ImportUpdate(Schema):
    name: str
    fields: list[str]


class ImportOut(Schema):
    dry_run: bool
    created: list[str]
    updated: list[ImportUpdate]
    unchanged: int
    relationships_added: int
