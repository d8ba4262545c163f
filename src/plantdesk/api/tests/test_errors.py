"""Failures the handlers map to CONTRACT.md's error body rather than to a 500."""

from __future__ import annotations

import json

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as ModelValidationError
from django.test import RequestFactory

from plantdesk.composition.api import api


def _answer(exc: Exception) -> tuple[int, dict[str, object]]:
    response = api.on_exception(RequestFactory().post("/api/v1/changes"), exc)
    return response.status_code, json.loads(response.content)


def test_a_model_invariant_that_slipped_past_the_action_is_a_400_naming_the_field() -> None:
    status, body = _answer(ModelValidationError({"short_description": ["This field cannot be blank."]}))
    assert status == 400
    assert body == {
        "detail": "short_description: This field cannot be blank.",
        "errors": [{"field": "short_description", "message": "This field cannot be blank."}],
    }


def test_a_model_invariant_of_no_one_field_names_the_body() -> None:
    status, body = _answer(ModelValidationError({NON_FIELD_ERRORS: ["The end must follow the start."]}))
    assert (status, body["errors"]) == (400, [{"field": "body", "message": "The end must follow the start."}])
    status, body = _answer(ModelValidationError("Not a valid record."))
    assert (status, body["errors"]) == (400, [{"field": "body", "message": "Not a valid record."}])
