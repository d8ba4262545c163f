"""Request bodies of the service-request API. The fields are checked by the actions, so that every problem
is a 400 naming the field as the form shows it (`items[0].answers.role`), the same rules for every client."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import ConfigDict, Field


class _Checked(Schema):
    model_config = ConfigDict(extra="allow")  # unknown fields reach the action, which refuses them by name


class OrderedItemIn(_Checked):
    catalog_item: Any = Field(None, description="the catalog item's name")
    answers: Any = Field(None, description="question name -> answer")
    quantity: Any = Field(1, description="1 to 100")


class RequestIn(_Checked):
    requested_for: Any = Field(None, description="a username (default: yourself)")
    short_description: Any = None
    items: Any = Field(None, description="1 to 20 items: [{catalog_item, answers, quantity}]")


class CatalogItemIn(_Checked):
    name: Any = Field(None, description="a stable slug")
    category: Any = None
    title: Any = None
    description: Any = None
    gxp: Any = None
    questions: Any = None
    approval: Any = Field(None, description="none | manager | qa | group:<name>, or a list of them in order")
    tasks: Any = Field(None, description="[{stage, short_description, assignment_group}]")
    access: Any = Field(None, description="{system, role, max_days, reference?, days?} or null")
    audience: Any = Field(None, description="{roles, sites, groups}; empty: everyone")
    active: Any = None
    order: Any = None


class CategoryIn(_Checked):
    name: Any = None
    title: Any = None
    description: Any = None
    order: Any = None


class TaskTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(..., max_length=30)
    notes: str = Field("", max_length=4000)


class TaskPatchIn(_Checked):
    assignee: Any = None
    assignment_group: Any = None


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=1000)


def given(request: HttpRequest) -> dict[str, Any]:
    """The JSON object the client sent, unknown fields included (django-ninja drops them from the schema's
    instance; the action names them in its 400). The schema above has already checked it is an object."""
    body = json.loads(request.body or b"{}")
    return dict(body) if isinstance(body, dict) else {}
