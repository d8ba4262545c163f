"""The article editor's form: API-level values (CI names, a problem number) for the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.problems.knowledge.choices import Audience
from plantdesk.problems.knowledge.fields import BODY_LENGTH, TITLE_LENGTH


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_LENGTH, required=False)
    body = forms.CharField(
        label=_("Body (Markdown)"), max_length=BODY_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 16, "class": "kb-editor-body"}),
    )  # fmt: skip
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices, initial=Audience.INTERNAL)
    cis = forms.CharField(label=_("Configuration items"), required=False, help_text=_("Names separated by commas."))
    problem = forms.CharField(label=_("Problem"), required=False, max_length=16, help_text=_("e.g. PRB0001001"))

    def action_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["cis"] = [name.strip() for name in data["cis"].split(",") if name.strip()]
        data["problem"] = data["problem"].strip() or None
        return data
