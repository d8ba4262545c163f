"""Request bodies of the change API: typed, and refusing unknown fields (422 naming them)."""

from __future__ import annotations

from ninja import Schema
from pydantic import ConfigDict, Field, StrictBool


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ChangeFieldsIn(_Strict):
    short_description: str | None = Field(None, max_length=160)
    description: str | None = None
    justification: str | None = None
    implementation_plan: str | None = None
    backout_plan: str | None = None
    test_plan: str | None = None
    cis: list[str] | None = Field(None, max_length=200)
    planned_start: str | None = None
    planned_end: str | None = None
    assignment_group: str | None = None
    assignee: str | None = None
    site: str | None = None
    risk_answers: dict[str, StrictBool] | None = None
    validation_impact: str | None = None
    validation_specs_affected: str | None = None
    validation_retest_scope: str | None = None
    validation_data_migration: StrictBool | None = None
    validation_part11_affected: StrictBool | None = None
    qms_change_control_ref: str | None = None


class ChangeCreateIn(ChangeFieldsIn):
    type: str
    template: str | None = None
    ot_tasks: StrictBool | None = None


class ChangePatchIn(ChangeFieldsIn):
    actual_start: str | None = None
    actual_end: str | None = None
    verification_evidence: str | None = None
    deviation_ref: str | None = None
    review_outcome: str | None = None
    review_notes: str | None = None


class ChangeTransitionIn(_Strict):
    to: str
    reason: str = Field("", max_length=2000)


class DecisionIn(_Strict):
    decision: str
    comment: str = Field("", max_length=2000)
    password: str | None = Field(None, max_length=500)
    meaning: str | None = None


class SignIn(_Strict):
    purpose: str
    password: str | None = Field(None, max_length=500)
    meaning: str | None = None
    comment: str = Field("", max_length=2000)


class OverrideIn(_Strict):
    reason: str = Field(..., max_length=2000)
    password: str | None = Field(None, max_length=500)


class TaskIn(_Strict):
    state: str
    notes: str = Field("", max_length=5000)


class CausedIncidentIn(_Strict):
    incident: str = Field(..., max_length=20)
