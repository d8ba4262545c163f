"""The OpenAPI document at /api/v1/openapi.json describes what the API answers (CONTRACT.md section 2)."""

from __future__ import annotations

import typing
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from plantdesk.api.errors import ERROR_RESPONSES
from plantdesk.composition.api import api


def _models(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    """Every pydantic model an annotation refers to, through lists, unions, Annotated and nested fields."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
    else:
        for argument in typing.get_args(annotation):
            yield from _models(argument, seen)


def _operation_models() -> Iterator[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *operation.response_models.values()]:
                    yield from _models(model, seen)


def test_every_schema_of_the_api_has_a_name_of_its_own() -> None:
    """ninja names a component by its class name alone: two classes of one name share one component, and the
    document then describes one of the two operations with the other's shape (it did: the SLA schedules and
    the change schedule were both 'ScheduleOut')."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in _operation_models():
        if model.__module__.startswith("plantdesk."):
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    clashes = {name: sorted(classes) for name, classes in by_name.items() if len(classes) > 1}
    assert not clashes
    assert len(by_name) > 40  # the walk did find the schemas


@pytest.fixture
def document(db: Any) -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_the_schedules_are_documented_with_their_own_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    sla_get = document["paths"]["/api/v1/schedules/{name}"]["get"]["responses"]["200"]
    assert sla_get["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ScheduleOut"
    assert {"name", "time_zone", "hours"} <= set(schemas["ScheduleOut"]["properties"])
    change_schedule = document["paths"]["/api/v1/schedule/changes"]["get"]["responses"]["200"]
    assert change_schedule["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ChangeScheduleOut"


def test_every_operation_documents_the_error_responses_with_the_error_body(document: dict[str, Any]) -> None:
    error = document["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"detail", "errors"}
    operations = [op for methods in document["paths"].values() for op in methods.values()]
    assert len(operations) >= 76
    for operation in operations:
        for status in ERROR_RESPONSES:
            response = operation["responses"][str(status)]
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_the_success_responses_stay_as_each_operation_declares_them(document: dict[str, Any]) -> None:
    create = document["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/IncidentOut"}
    assert "200" not in create
