"""The one type-ahead picker of every form: a text input that asks a suggestion URL for matches as the
person types (htmx), and shows them as a listbox to pick from (app.js adds the keyboard and, for several
values, the chips). Each app configures it with its own suggestion URL, whose view answers through the
app's permission-scoped queries, so a picker never offers what its user may not see.

Without JavaScript it is a plain text input: names typed by hand (several separated by commas) post as
they always did, so the forms and the actions read the same value either way."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.functional import Promise

MIN_CHARS = 2  # the suggestion views answer nothing for less: one letter matches half the plant


class TypeaheadInput(forms.TextInput):
    template_name = "ui/widgets/typeahead.html"

    def __init__(
        self, suggest_url: str | Promise, *, multiple: bool = False, attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.suggest_url = suggest_url
        self.multiple = multiple

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        listbox = f"{widget['attrs'].get('id', name)}-suggestions"
        widget["attrs"].update(
            {
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "aria-controls": listbox,
                "hx-get": str(self.suggest_url),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{listbox}",
                "hx-sync": "this:replace",
            }
        )
        widget.update(listbox=listbox, multiple=self.multiple, min_chars=MIN_CHARS)
        return context


def typed_text(query: dict[str, str], limit: int = 255) -> str:
    """What was typed into a picker: htmx sends the input under its own field name (ci, assignee, cis...), so
    the one non-empty value is it; of a comma-separated list, the name being typed (the last one)."""
    typed = next((value for value in query.values() if value.strip()), "")
    return typed.rsplit(",", 1)[-1].strip()[:limit]


def group_picker() -> TypeaheadInput:
    """An assignment group, by name."""
    return TypeaheadInput(reverse_lazy("ui:suggest-groups"))


def agent_picker() -> TypeaheadInput:
    """Someone who works records (an assignee), by username, first or last name; the input holds the username."""
    return TypeaheadInput(reverse_lazy("ui:suggest-agents"))


def person_picker() -> TypeaheadInput:
    """Any active person (a caller, an owner), by username, first or last name; the input holds the username."""
    return TypeaheadInput(reverse_lazy("ui:suggest-people"))
