"""Forms of the change pages. They only shape input; the actions validate and write (their field errors
are put next to these fields), so the API and the UI refuse the same things the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plantdesk.changes.choices import (
    RISK_QUESTIONS,
    ChangeType,
    ReviewOutcome,
    SignaturePurpose,
    ValidationImpact,
)
from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.core.choices import SignatureMeaning
from plantdesk.ui.date_inputs import LocalDateTimeField
from plantdesk.ui.widgets import TypeaheadInput, agent_picker, group_picker

TEXTAREA = forms.Textarea(attrs={"rows": 3})
_BLANK: list[tuple[str, str]] = [("", "—")]


def _local_iso(value: datetime | None) -> str | None:
    """A typed time means the user's own zone (the one the page shows times in)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value.isoformat()


class _ChangeFields(forms.Form):
    short_description = forms.CharField(label=_("Short description"), max_length=160, required=False)
    justification = forms.CharField(label=_("Justification"), widget=TEXTAREA, required=False)
    implementation_plan = forms.CharField(label=_("Implementation plan"), widget=TEXTAREA, required=False)
    backout_plan = forms.CharField(label=_("Backout plan"), widget=TEXTAREA, required=False)
    test_plan = forms.CharField(label=_("Test plan"), widget=TEXTAREA, required=False)
    cis = forms.CharField(
        required=False, label=_("Affected CIs"), help_text=_("Type a name or alias and pick it; several CIs are fine"),
        widget=CISuggestInput(multiple=True),
    )  # fmt: skip
    planned_start = LocalDateTimeField(label=_("Planned start"), required=False)
    planned_end = LocalDateTimeField(label=_("Planned end"), required=False)
    assignment_group = forms.CharField(label=_("Assignment group"), required=False, widget=group_picker())
    assignee = forms.CharField(
        label=_("Assignee"), required=False, help_text=_("Name or username"), widget=agent_picker()
    )
    validation_impact = forms.ChoiceField(
        label=_("Validation impact"), choices=_BLANK + list(ValidationImpact.choices), required=False
    )
    validation_specs_affected = forms.CharField(required=False, label=_("Specifications affected"))
    validation_retest_scope = forms.CharField(required=False, label=_("Re-test scope"))
    validation_data_migration = forms.BooleanField(required=False, label=_("Data migration"))
    validation_part11_affected = forms.BooleanField(required=False, label=_("Part 11 functions affected"))
    qms_change_control_ref = forms.CharField(required=False, max_length=100, label=_("QMS change-control reference"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, (question, _weight) in RISK_QUESTIONS.items():
            self.fields[f"risk_{key}"] = forms.BooleanField(required=False, label=question)

    @property
    def risk_fields(self) -> list[forms.BoundField]:
        return [self[f"risk_{key}"] for key in RISK_QUESTIONS]

    def form_field_for(self, name: str) -> str | None:
        if name == "risk_answers":
            return None
        return name if name in self.fields else None

    def action_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        answers = {key: bool(data.pop(f"risk_{key}", False)) for key in RISK_QUESTIONS}
        data["risk_answers"] = answers
        data["cis"] = [name.strip() for name in (data.get("cis") or "").split(",") if name.strip()]
        for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
            if name in data:
                data[name] = _local_iso(data[name])
        return data


class ChangeCreateForm(_ChangeFields):
    type = forms.ChoiceField(label=_("Type"), choices=ChangeType.choices, initial=ChangeType.NORMAL)
    template = forms.CharField(label=_("Template"),
        required=False, help_text=_("For standard changes: a template of the catalog"),
        widget=TypeaheadInput(reverse_lazy("ui:changes:suggest-templates")),
    )  # fmt: skip

    field_order = ["type", "template", "short_description"]

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        if not data.get("template"):
            data.pop("template", None)
        return {k: v for k, v in data.items() if v not in (None, "") or k in ("cis",)}


class ChangeEditForm(_ChangeFields):
    """Sends only what the user changed: an untouched field must not void a signature."""

    actual_start = LocalDateTimeField(label=_("Actual start"), required=False)
    actual_end = LocalDateTimeField(label=_("Actual end"), required=False)
    verification_evidence = forms.CharField(label=_("Verification evidence"), widget=TEXTAREA, required=False)
    deviation_ref = forms.CharField(required=False, max_length=100, label=_("Deviation reference"))
    review_outcome = forms.ChoiceField(
        label=_("Review outcome"), choices=_BLANK + list(ReviewOutcome.choices), required=False
    )
    review_notes = forms.CharField(label=_("Review notes"), widget=TEXTAREA, required=False)

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        changed = set(self.changed_data)
        if not any(name.startswith("risk_") for name in changed):
            data.pop("risk_answers")
        return {k: v for k, v in data.items() if k in changed or k == "risk_answers"}


class TransitionForm(forms.Form):
    to = forms.CharField(label=_("To"))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
    password = forms.CharField(required=False, widget=forms.PasswordInput, label=_("Your password (signature)"))


class SignForm(forms.Form):
    purpose = forms.ChoiceField(
        choices=[(p.value, p.label) for p in SignaturePurpose if p.value.startswith("qa_")], label=_("Signature for")
    )
    meaning = forms.ChoiceField(label=_("Meaning"), choices=_BLANK + list(SignatureMeaning.choices), required=False)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000)
    password = forms.CharField(widget=forms.PasswordInput, label=_("Your password"))


class OverrideForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=TEXTAREA)
    password = forms.CharField(widget=forms.PasswordInput, label=_("Your password"))


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(max_length=20, label=_("Incident number"))


def initial_for(change: Any) -> dict[str, Any]:
    """The edit form prefilled from a change, times in the user's zone."""
    initial: dict[str, Any] = {
        name: getattr(change, name) for name in ChangeEditForm.base_fields if hasattr(change, name)
    }
    initial["cis"] = ", ".join(sorted(link.ci.name for link in change.ci_links.all()))
    initial["assignment_group"] = change.assignment_group.name if change.assignment_group else ""
    initial["assignee"] = change.assignee.username if change.assignee else ""
    for name in ("planned_start", "planned_end", "actual_start", "actual_end"):
        value = getattr(change, name)
        # Minutes, as the input shows them: an untouched field then reads as unchanged.
        initial[name] = timezone.localtime(value).replace(second=0, microsecond=0) if value else None
    for key in RISK_QUESTIONS:
        initial[f"risk_{key}"] = bool(change.risk_answers.get(key))
    return initial
