"""Forms of the incident UI. They collect and render; the actions validate (same messages as the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.choices import FULFILLER_ROLES
from plantdesk.accounts.models import AssignmentGroup, User
from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.core.choices import active_options
from plantdesk.incidents.choices import CATEGORY_SET, RESOLUTION_CODE_SET, HoldReason, Source, State
from plantdesk.ui.widgets import agent_picker, group_picker, person_picker

IMPACT_CHOICES = [
    ("1", _("1 - High: a line, area or site is affected")),
    ("2", _("2 - Medium: several people or a degraded service")),
    ("3", _("3 - Low: one person")),
]
URGENCY_CHOICES = [
    ("1", _("1 - High: production is stopped or at risk now")),
    ("2", _("2 - Medium: work continues with a workaround")),
    ("3", _("3 - Low: can wait")),
]
BLANK = ("", "—")


def category_choices() -> list[tuple[str, str]]:
    return [BLANK, *active_options(CATEGORY_SET)]


def group_choices() -> list[tuple[str, str]]:
    return [BLANK, *((name, name) for name in AssignmentGroup.objects.values_list("name", flat=True))]


def assignee_choices() -> list[tuple[str, str]]:
    people = User.objects.filter(role__in=list(FULFILLER_ROLES), is_active=True, is_integration=False)
    return [BLANK, *((u.username, f"{u.printed_name} ({u.username})") for u in people.order_by("first_name"))]


def level(value: str) -> int | str:
    """'2' -> 2; anything else is passed on so the action answers with its own message."""
    return int(value) if value in {"1", "2", "3"} else value


class IncidentCreateForm(forms.Form):
    short_description = forms.CharField(required=False, label=_("Short description"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}), label=_("Description"))
    impact = forms.CharField(
        label=_("Impact"), required=False, initial="2", widget=forms.Select(choices=IMPACT_CHOICES)
    )
    urgency = forms.CharField(
        label=_("Urgency"), required=False, initial="2", widget=forms.Select(choices=URGENCY_CHOICES)
    )
    category = forms.CharField(label=_("Category"), required=False, widget=forms.Select())
    ci = forms.CharField(
        required=False,
        label=_("Configuration item"),
        help_text=_("Name or alias, e.g. BER-MES-APP01"),
        widget=CISuggestInput(),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = category_choices()

    def action_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["impact"] = level(data["impact"])
        data["urgency"] = level(data["urgency"])
        return data


class AgentCreateForm(IncidentCreateForm):
    caller = forms.CharField(
        label=_("Caller"), required=False, help_text=_("Name or username; empty means you."), widget=person_picker()
    )
    source = forms.CharField(
        label=_("Source"), required=False, initial=Source.PHONE, widget=forms.Select(choices=Source.choices)
    )
    assignment_group = forms.CharField(
        required=False,
        label=_("Assignment group"),
        help_text=_("Empty: set by the routing rules"),
        widget=group_picker(),
    )
    assignee = forms.CharField(
        label=_("Assignee"), required=False, help_text=_("Name or username"), widget=agent_picker()
    )

    def action_data(self) -> dict[str, Any]:
        data = super().action_data()
        for optional in ("caller", "assignment_group", "assignee"):
            if not data[optional]:
                del data[optional]  # the action defaults them (caller = you, group by rule)
        return data


class IncidentEditForm(forms.Form):
    short_description = forms.CharField(required=False, label=_("Short description"))
    impact = forms.CharField(label=_("Impact"), required=False, widget=forms.Select(choices=IMPACT_CHOICES))
    urgency = forms.CharField(label=_("Urgency"), required=False, widget=forms.Select(choices=URGENCY_CHOICES))
    category = forms.CharField(label=_("Category"), required=False, widget=forms.Select())
    ci = forms.CharField(required=False, label=_("Configuration item"), widget=CISuggestInput())
    assignment_group = forms.CharField(required=False, label=_("Assignment group"), widget=group_picker())
    assignee = forms.CharField(
        label=_("Assignee"), required=False, help_text=_("Name or username"), widget=agent_picker()
    )
    major_incident = forms.BooleanField(required=False, label=_("Major incident"))
    parent = forms.CharField(required=False, label=_("Parent incident"), help_text=_("Number, e.g. INC0001001"))
    updated_at = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = category_choices()
        # A retired category still shows (and is kept) rather than blanking.
        current = str(self.initial.get("category") or "")
        widget = self.fields["category"].widget
        assert isinstance(widget, forms.Select)
        if current and current not in {str(value) for value, _label in widget.choices}:
            widget.choices = [*widget.choices, (current, current)]

    @staticmethod
    def initial_for(incident: Any) -> dict[str, Any]:
        return {
            "short_description": incident.short_description,
            "impact": str(incident.impact),
            "urgency": str(incident.urgency),
            "category": incident.category,
            "ci": incident.ci.name if incident.ci else "",
            "assignment_group": incident.assignment_group.name if incident.assignment_group else "",
            "assignee": incident.assignee.username if incident.assignee else "",
            "major_incident": incident.major_incident,
            "parent": incident.parent.number if incident.parent else "",
            "updated_at": incident.updated_at.isoformat(),
        }

    def action_data(self) -> dict[str, Any]:
        """Only what the person changed: moving the group alone must let the action unassign."""
        data: dict[str, Any] = {}
        for name in self.changed_data:
            if name == "updated_at":
                continue
            value = self.cleaned_data[name]
            if name in ("impact", "urgency"):
                value = level(value)
            elif name in ("assignment_group", "assignee", "parent") and value == "":
                value = None
            data[name] = value
        return data

    def clean_updated_at(self) -> str:
        value = str(self.cleaned_data.get("updated_at") or "")
        if value:
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise forms.ValidationError(_("Reload the page: the form's version stamp is damaged.")) from None
            if parsed.tzinfo is None:
                raise forms.ValidationError(_("Reload the page: the form's version stamp has no time zone."))
        return value

    def expected_updated_at(self) -> datetime | None:
        value = self.cleaned_data.get("updated_at")
        return datetime.fromisoformat(value) if value else None


class TransitionForm(forms.Form):
    """The fields a target state asks for (transitions.REQUIRED_FIELDS); the action checks them."""

    to = forms.CharField(widget=forms.HiddenInput)
    hold_reason = forms.CharField(
        required=False, label=_("Hold reason"), widget=forms.Select(choices=[BLANK, *HoldReason.choices])
    )
    resolution_code = forms.CharField(required=False, label=_("Resolution code"), widget=forms.Select())
    resolution_notes = forms.CharField(
        required=False, label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 4})
    )
    reason = forms.CharField(required=False, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, required: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolution_code"].widget.choices = [BLANK, *active_options(RESOLUTION_CODE_SET)]
        for name in ("hold_reason", "resolution_code", "resolution_notes", "reason"):
            if name not in required:
                del self.fields[name]
            else:
                # Marked for people (and screen readers); the action enforces it.
                self.fields[name].widget.attrs["aria-required"] = "true"

    def action_kwargs(self) -> dict[str, str]:
        return {k: v for k, v in self.cleaned_data.items() if k != "to"}


class CommentForm(forms.Form):
    body = forms.CharField(
        required=False,
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write an update")}),
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"),
        choices=[("public", _("Public comment (the caller sees it)")), ("internal", _("Internal work note"))],
        initial="public",
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or "public"


class QueueFilterForm(forms.Form):
    """The queue's query string. Invalid values answer 400 with the message next to the filter."""

    VIEWS = [
        ("all_open", _("All open")),
        ("my_work", _("My work")),
        ("unassigned", _("Unassigned in my groups")),
        ("my_groups", _("Open in my groups")),
        ("all", _("All incidents")),
    ]
    SORTS = ["priority", "number", "opened", "updated", "state", "due"]

    view = forms.ChoiceField(label=_("View"), choices=VIEWS, required=False)
    state = forms.ChoiceField(label=_("State"), choices=[("", _("Any state")), *State.choices], required=False)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[("", _("Any priority")), *((str(p), f"P{p}") for p in range(1, 6))],
        required=False,
    )
    assignment_group = forms.CharField(required=False, label=_("Group"), widget=forms.Select())
    assignee = forms.CharField(label=_("Assignee"), required=False, widget=forms.Select())
    q = forms.CharField(required=False, max_length=200, label=_("Search"))
    sort = forms.ChoiceField(
        label=_("Sort"), choices=[(s, s) for key in SORTS for s in (key, f"-{key}")], required=False
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].widget.choices = [("", _("Any group")), *group_choices()[1:]]
        self.fields["assignee"].widget.choices = [
            ("", _("Anyone")),
            ("none", _("Unassigned")),
            *assignee_choices()[1:],
        ]


class CommunicationForm(forms.Form):
    body = forms.CharField(
        required=False,
        label=_("Status update"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What is known, what is being done, next update at")}),
    )
