"""The forms of the problem pages. They parse what was posted into the actions' API-level values; the
actions check everything else and their field errors land next to these fields (same names)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.core.choices import active_options
from plantdesk.incidents.choices import RESOLUTION_CODE_SET as INCIDENT_RESOLUTION_CODE_SET
from plantdesk.incidents.forms import (
    BLANK,
    IMPACT_CHOICES,
    URGENCY_CHOICES,
    CommentForm,
    IncidentEditForm,
    category_choices,
    group_choices,
    level,
)
from plantdesk.problems.choices import RESOLUTION_CODE_SET, CapaDecision, State
from plantdesk.problems.transitions import REQUIRED_FIELDS
from plantdesk.ui.widgets import TypeaheadInput, agent_picker, group_picker


def incident_picker() -> TypeaheadInput:
    """Several incidents, by number or words of their short description; the input holds the numbers."""
    return TypeaheadInput(reverse_lazy("ui:problems:suggest-incidents"), multiple=True)


def change_picker() -> TypeaheadInput:
    return TypeaheadInput(reverse_lazy("ui:changes:suggest"))


def numbers(value: str) -> list[str]:
    """'INC0001, INC0002' (or spaces) -> ['INC0001', 'INC0002'], as typed (the action says which is unknown)."""
    return [n.strip().upper() for n in value.replace(",", " ").split() if n.strip()]


class ProblemListForm(forms.Form):
    """The list's query string; invalid values answer 400 with the message next to the filter."""

    SHOW = [("open", _("Open problems")), ("all", _("All problems"))]
    SORTS = ["priority", "number", "opened", "state"]

    show = forms.ChoiceField(label=_("Show"), choices=SHOW, required=False)
    state = forms.ChoiceField(label=_("State"), choices=[("", _("Any state")), *State.choices], required=False)
    assignment_group = forms.CharField(required=False, label=_("Group"), widget=forms.Select())
    mine = forms.BooleanField(required=False, label=_("My problems"))
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    sort = forms.ChoiceField(
        label=_("Sort"), choices=[(s, s) for key in SORTS for s in (key, f"-{key}")], required=False
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)
    days = forms.IntegerField(label=_("Days"), required=False, min_value=1, max_value=365)
    minimum = forms.IntegerField(label=_("At least"), required=False, min_value=2, max_value=1000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["assignment_group"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", _("Any group")), *group_choices()[1:]]


class ProblemCreateForm(forms.Form):
    short_description = forms.CharField(required=False, label=_("Short description"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}), label=_("Description"))
    ci = forms.CharField(required=False, label=_("Configuration item"), widget=CISuggestInput())
    category = forms.CharField(label=_("Category"), required=False, widget=forms.Select())
    impact = forms.CharField(
        label=_("Impact"), required=False, initial="2", widget=forms.Select(choices=IMPACT_CHOICES)
    )
    urgency = forms.CharField(
        label=_("Urgency"), required=False, initial="2", widget=forms.Select(choices=URGENCY_CHOICES)
    )
    assignment_group = forms.CharField(
        required=False, label=_("Assignment group"), help_text=_("Empty: the CI's support group"),
        widget=group_picker(),
    )  # fmt: skip
    assignee = forms.CharField(label=_("Assignee"), required=False, help_text=_("Name or username"),
                               widget=agent_picker())  # fmt: skip
    incidents = forms.CharField(
        required=False, label=_("Incidents"), help_text=_("Numbers, e.g. INC0001001, INC0001002"),
        widget=incident_picker(),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["category"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = category_choices()

    def action_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["impact"], data["urgency"] = level(data["impact"]), level(data["urgency"])
        data["incidents"] = numbers(data["incidents"])
        for optional in ("ci", "assignment_group", "assignee", "incidents"):
            if not data[optional]:
                del data[optional]  # the action defaults them
        return data


class ProblemEditForm(IncidentEditForm):
    """The incident edit form's fields that a problem has, and its description and fix change."""

    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), label=_("Description"))
    fix_change = forms.CharField(
        required=False, label=_("Fix change"), help_text=_("Number, e.g. CHG0001001"), widget=change_picker()
    )

    field_order = ["short_description", "description", "impact", "urgency", "category", "ci",
                   "assignment_group", "assignee", "fix_change", "updated_at"]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["major_incident"], self.fields["parent"]

    @staticmethod
    def initial_for(problem: Any) -> dict[str, Any]:
        return {
            "short_description": problem.short_description,
            "description": problem.description,
            "impact": str(problem.impact),
            "urgency": str(problem.urgency),
            "category": problem.category,
            "ci": problem.ci.name if problem.ci else "",
            "assignment_group": problem.assignment_group.name if problem.assignment_group else "",
            "assignee": problem.assignee.username if problem.assignee else "",
            "fix_change": problem.fix_change.number if problem.fix_change else "",
            "updated_at": problem.updated_at.isoformat(),
        }

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        if "fix_change" in data:
            data["fix_change"] = (data["fix_change"] or "").strip().upper() or None
        return data


class TransitionForm(forms.Form):
    """What a target state asks for (transitions.REQUIRED_FIELDS, and the CAPA question of a GxP problem)."""

    to = forms.CharField(widget=forms.HiddenInput)
    resolution_code = forms.CharField(required=False, label=_("Resolution code"), widget=forms.Select())
    cause_notes = forms.CharField(
        required=False, label=_("Cause notes"), help_text=_("What caused the problem"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    capa_decision = forms.CharField(
        required=False, label=_("CAPA decision"), widget=forms.Select(choices=[BLANK, *CapaDecision.choices])
    )
    capa_rationale = forms.CharField(
        required=False, label=_("CAPA rationale"), help_text=_("Required when no CAPA is required: say why"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    reason = forms.CharField(required=False, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, to: str = "", gxp: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["resolution_code"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [BLANK, *active_options(RESOLUTION_CODE_SET)]
        shown = set(REQUIRED_FIELDS.get(to, ()))
        if to == State.RESOLVED and gxp:
            shown |= {"capa_decision", "capa_rationale"}
        for name in ("resolution_code", "cause_notes", "capa_decision", "capa_rationale", "reason"):
            if name not in shown:
                del self.fields[name]
            elif name != "capa_rationale":
                self.fields[name].widget.attrs["aria-required"] = "true"

    def action_kwargs(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if k != "to"}


class LinkIncidentsForm(forms.Form):
    incidents = forms.CharField(
        required=False, label=_("Incidents to link"), help_text=_("Numbers, e.g. INC0001001, INC0001002"),
        widget=incident_picker(),
    )  # fmt: skip

    def numbers(self) -> list[str]:
        return numbers(self.cleaned_data["incidents"])


class ResolveIncidentsForm(forms.Form):
    resolution_code = forms.CharField(required=False, label=_("Resolution code"), widget=forms.Select())
    resolution_notes = forms.CharField(
        required=False, label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["resolution_code"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [BLANK, *active_options(INCIDENT_RESOLUTION_CODE_SET)]
        for name in ("resolution_code", "resolution_notes"):
            self.fields[name].widget.attrs["aria-required"] = "true"


class KnownErrorForm(forms.Form):
    symptom = forms.CharField(required=False, label=_("Symptom"), widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(required=False, label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}))
    workaround = forms.CharField(
        required=False, label=_("Workaround"), help_text=_("Publishing posts it to the linked open incidents"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )  # fmt: skip
    cis = forms.CharField(
        required=False, label=_("Affected CIs"), help_text=_("Names, separated by commas"),
        widget=CISuggestInput(multiple=True),
    )  # fmt: skip
    vendor = forms.CharField(required=False, label=_("Vendor"), max_length=100)
    product_model = forms.CharField(required=False, label=_("Model"), max_length=100)
    affected_version = forms.CharField(required=False, label=_("Affected version"), max_length=60)

    @staticmethod
    def initial_for(known: Any, cis: list[str]) -> dict[str, Any]:
        if known is None:
            return {}
        return {
            "symptom": known.symptom,
            "root_cause": known.root_cause,
            "workaround": known.workaround,
            "cis": ", ".join(cis),
            "vendor": known.vendor,
            "product_model": known.product_model,
            "affected_version": known.affected_version,
        }

    def action_data(self, *, publish: bool) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.cleaned_data)
        data["cis"] = [name.strip() for name in data["cis"].split(",") if name.strip()]
        data["publish"] = publish
        return data


class ProblemCommentForm(CommentForm):
    """A problem's journal: its readers are agents, so the choice is a work note (first) or a comment."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visibility = self.fields["visibility"]
        assert isinstance(visibility, forms.ChoiceField)
        visibility.choices = [("internal", _("Internal work note")), ("public", _("Comment"))]
        visibility.initial = "internal"

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or "internal"
