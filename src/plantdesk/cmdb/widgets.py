"""A text input that suggests CIs as you type (names and aliases the user may see), for every form with a CI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy


class CISuggestInput(forms.TextInput):
    template_name = "cmdb/widgets/ci_suggest.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "autocomplete": "off",
                "hx-get": reverse_lazy("ui:cmdb:suggest"),
                "hx-trigger": "input changed delay:250ms",
                "hx-sync": "this:replace",
                **(attrs or {}),
            }
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = f"{widget_attrs.get('id', name)}-suggestions"
        widget_attrs["hx-target"] = f"#{widget_attrs['list']}"
        return context
