"""The portal's order form, built from a catalog item version's questions (CONTRACT.md section 9).

The form only shapes what the browser posts into the answers the API takes: the rules (required, types,
choices, people and CIs that exist, `show_if`) are checked once, by the same action the API calls
(`actions.do_submit_request`), and its errors come back next to the question they name. A question hidden
by its `show_if` is dropped here, as the page's script hides it, so a hidden answer is never sent."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.requests.choices import QuestionType
from plantdesk.requests.questions import visible
from plantdesk.ui.widgets import group_picker, person_picker

PREFIX = "q_"
ANSWERS_AT = "items[0].answers."
YES_NO = [("", "—"), ("true", _("Yes")), ("false", _("No"))]


def _field(question: dict[str, Any]) -> forms.Field:
    """Every field is optional in the form: whether it is required depends on the other answers (`show_if`),
    which the action decides. The page marks required questions with the asterisk (`data-required`)."""
    kind, label = question["type"], question["label"]
    common: dict[str, Any] = {"label": label, "required": False}
    if kind == QuestionType.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=4000, **common)
    if kind == QuestionType.NUMBER:
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), max_length=40, **common)
    # Choices are plain fields with a choice widget: an answer outside the list is refused by the action, with
    # the same message as in the API, together with every other question's error.
    if kind == QuestionType.BOOLEAN:
        return forms.CharField(widget=forms.Select(choices=YES_NO), **common)
    if kind == QuestionType.CHOICE:
        choices = [("", "—"), *((c, c) for c in question.get("choices", []))]
        return forms.CharField(widget=forms.Select(choices=choices), max_length=200, **common)
    if kind == QuestionType.MULTICHOICE:
        choices = [(c, c) for c in question.get("choices", [])]
        return forms.Field(widget=forms.CheckboxSelectMultiple(choices=choices), **common)
    if kind == QuestionType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), max_length=10, **common)
    if kind == QuestionType.USER:
        return forms.CharField(widget=person_picker(), max_length=150, **common)
    if kind == QuestionType.GROUP:
        return forms.CharField(widget=group_picker(), max_length=100, **common)
    if kind == QuestionType.CI:
        return forms.CharField(widget=CISuggestInput(), max_length=200, **common)
    return forms.CharField(max_length=1000, **common)


def number_or_text(value: str) -> Any:
    """A typed number as JSON has it (3, not 3.0); text that is no number stays text, for the checks to refuse."""
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number


def _typed(kind: str, value: Any) -> Any:
    """The browser's text as the API's JSON value; what does not convert goes as typed, for the action to refuse."""
    if value in ("", None, []):
        return None
    if kind == QuestionType.BOOLEAN:
        return value == "true"
    if kind == QuestionType.NUMBER:
        return number_or_text(value)
    return value


class OrderForm(forms.Form):
    requested_for = forms.CharField(
        label=_("Requested for"), required=False, max_length=150, widget=person_picker(),
        help_text=_("Leave empty to order for yourself."),
    )  # fmt: skip

    def __init__(self, questions: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            self.fields[PREFIX + q["name"]] = _field(q)

    def question_rows(self) -> list[dict[str, Any]]:
        """What the template renders per question: the bound field, whether it is required and its condition."""
        answers = self.typed_answers()
        rows = []
        for q in self.questions:
            cond = q.get("show_if")
            rows.append({
                "field": self[PREFIX + q["name"]],
                "required": q["required"],
                "show_if": PREFIX + cond["question"] if cond else "",
                "equals": json.dumps(cond["equals"]) if cond else "",
                "hidden": not visible(q, answers),
            })  # fmt: skip
        return rows

    def typed_answers(self) -> dict[str, Any]:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        answers: dict[str, Any] = {}
        for q in self.questions:
            value = _typed(q["type"], data.get(PREFIX + q["name"]))
            if value is not None and visible(q, answers):
                answers[q["name"]] = value
        return answers

    def order(self, catalog_item: str) -> dict[str, Any]:
        """The payload of `POST /api/v1/requests` for this one item."""
        return {
            "requested_for": self.cleaned_data.get("requested_for") or None,
            "items": [{"catalog_item": catalog_item, "answers": self.typed_answers()}],
        }

    def form_field_for(self, name: str) -> str | None:
        """Where an action's error goes (`add_domain_error`): `items[0].answers.<name>` next to its question."""
        if name.startswith(ANSWERS_AT) and PREFIX + name.removeprefix(ANSWERS_AT) in self.fields:
            return PREFIX + name.removeprefix(ANSWERS_AT)
        return name if name == "requested_for" else None
