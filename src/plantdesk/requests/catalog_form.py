"""The administrators' catalog item editor: one form for an item and its definition, with a row per question
and per fulfilment task, turned into the payload of `POST|PATCH /api/v1/catalog/items` (CONTRACT.md section 9).

The form only shapes the payload; `catalog.do_create_catalog_item` / `do_update_catalog_item` check it (the
same rules as the API), and their errors (`questions[2].label`, `tasks[0].assignment_group`, `access.system`)
come back next to the row and field they name. Rows left empty are not questions (or tasks); a question is
removed by emptying its row, and the order of the rows is the order of the questions."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.choices import Role
from plantdesk.core.fields import Errors
from plantdesk.requests.catalog import audience_of
from plantdesk.requests.choices import QuestionType
from plantdesk.requests.models import CatalogCategory, CatalogItem
from plantdesk.requests.order_form import number_or_text
from plantdesk.requests.questions import checked_questions

QUESTION_KEYS = ("name", "label", "type", "required", "choices", "help", "show_if", "equals")
TASK_KEYS = ("stage", "short_description", "assignment_group")
SPARE_ROWS = 3
MAX_ROWS = 40
ROW_ERROR = re.compile(r"^(questions|tasks)\[(\d+)\](?:\.([a-z_]+))?(?:\.([a-z_]+))?$")
FLAT_ERRORS = {
    "access.system": "access_system", "access.role": "access_role", "access.max_days": "access_max_days",
    "access.reference": "access_reference", "access.days": "access_days", "access": "access_system",
    "audience.roles": "audience_roles", "audience.sites": "audience_sites", "audience.groups": "audience_groups",
    "audience": "audience_roles",
}  # fmt: skip
YES = {"yes", "true", "ja", "1"}
NO = {"no", "false", "nein", "0"}


def _names(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def _equals(kind: str | None, text: str) -> Any:
    """A condition's value as its question's answers are typed: yes/no, a number, or the text itself."""
    value = text.strip()
    if kind == QuestionType.BOOLEAN and value.lower() in YES | NO:
        return value.lower() in YES
    if kind == QuestionType.NUMBER:
        return number_or_text(value)
    return value


class CatalogItemForm(forms.Form):
    name = forms.SlugField(label=_("Name"), max_length=60, required=False,
                           help_text=_("Lower-case letters, digits and dashes; it never changes."))  # fmt: skip
    category = forms.CharField(label=_("Category"), widget=forms.Select())
    title = forms.CharField(label=_("Title"), max_length=120, required=False)
    description = forms.CharField(label=_("Description"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    gxp = forms.BooleanField(label=_("GxP: QA approves with an e-signature"), required=False)
    active = forms.BooleanField(label=_("Orderable"), required=False, initial=True)
    order = forms.IntegerField(label=_("Position in its category"), min_value=0, max_value=10000, initial=100)
    approval = forms.CharField(
        label=_("Approval chain"), required=False, max_length=500,
        help_text=_("In order, separated by commas: manager, qa, group:<name>. Empty: no approval."),
    )  # fmt: skip
    audience_roles = forms.MultipleChoiceField(label=_("Roles that may order it"), required=False,
                                               choices=Role.choices, widget=forms.CheckboxSelectMultiple)  # fmt: skip
    audience_sites = forms.CharField(label=_("Sites (codes)"), required=False, max_length=2000,
                                     help_text=_("Separated by commas. Empty: every site."))  # fmt: skip
    audience_groups = forms.CharField(label=_("Groups"), required=False, max_length=2000,
                                      help_text=_("Separated by commas. Empty: everyone."))  # fmt: skip
    access_system = forms.CharField(
        label=_("Access to (system CI)"), required=False, max_length=200,
        help_text=_("A CI's name, or {question} for a CI question. Empty: no access."),
    )  # fmt: skip
    access_role = forms.CharField(label=_("Role granted"), required=False, max_length=120,
                                  help_text=_("A role's name, or {question} for the answer."))  # fmt: skip
    access_max_days = forms.IntegerField(label=_("Ends after (days)"), required=False, min_value=1)
    access_reference = forms.CharField(label=_("Tied to the change or incident in question"), required=False,
                                       max_length=40)  # fmt: skip
    access_days = forms.CharField(label=_("Fewer days asked in question"), required=False, max_length=40)

    def __init__(self, *args: Any, creating: bool, question_rows: int, task_rows: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creating = creating
        self.fields["name"].required = creating
        self.fields["name"].disabled = not creating
        self.fields["category"].widget.choices = [
            (c.name, c.title) for c in CatalogCategory.objects.order_by("order", "title")
        ]
        types = [(value, label) for value, label in QuestionType.choices]
        self.question_rows = min(question_rows, MAX_ROWS)
        self.task_rows = min(task_rows, MAX_ROWS)
        for i in range(self.question_rows):
            self.fields[f"q-{i}-name"] = forms.CharField(label=_("Name"), required=False, max_length=40)
            self.fields[f"q-{i}-label"] = forms.CharField(label=_("Question"), required=False, max_length=200)
            self.fields[f"q-{i}-type"] = forms.CharField(label=_("Type"), required=False,
                                                         widget=forms.Select(choices=types))  # fmt: skip
            self.fields[f"q-{i}-required"] = forms.BooleanField(label=_("Required"), required=False)
            self.fields[f"q-{i}-choices"] = forms.CharField(label=_("Choices (one per line)"), required=False,
                                                            widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
            self.fields[f"q-{i}-help"] = forms.CharField(label=_("Help text"), required=False, max_length=500)
            self.fields[f"q-{i}-show_if"] = forms.CharField(label=_("Only if question"), required=False,
                                                            max_length=40)  # fmt: skip
            self.fields[f"q-{i}-equals"] = forms.CharField(label=_("is answered"), required=False, max_length=200)
        for i in range(self.task_rows):
            self.fields[f"t-{i}-stage"] = forms.IntegerField(label=_("Stage"), required=False, min_value=1)
            self.fields[f"t-{i}-short_description"] = forms.CharField(label=_("Task"), required=False,
                                                                      max_length=160)  # fmt: skip
            self.fields[f"t-{i}-assignment_group"] = forms.CharField(label=_("Group"), required=False, max_length=100)
        self._question_at: list[int] = []
        self._task_at: list[int] = []

    # -- what the template shows ------------------------------------------------------------------------------

    def questions(self) -> list[dict[str, Any]]:
        return [{key: self[f"q-{i}-{key}"] for key in QUESTION_KEYS} for i in range(self.question_rows)]

    def tasks(self) -> list[dict[str, Any]]:
        return [{key: self[f"t-{i}-{key}"] for key in TASK_KEYS} for i in range(self.task_rows)]

    # -- the payload ----------------------------------------------------------------------------------------------

    def _question_payload(self) -> list[dict[str, Any]]:
        data, out = self.cleaned_data, []
        kinds: dict[str, str] = {}
        self._question_at = []
        for i in range(self.question_rows):
            row = {key: data.get(f"q-{i}-{key}") or "" for key in QUESTION_KEYS}
            row["required"] = bool(data.get(f"q-{i}-required"))
            if not (row["name"] or "").strip() and not (row["label"] or "").strip():
                continue
            q: dict[str, Any] = {"name": (row["name"] or "").strip(), "label": (row["label"] or "").strip(),
                                 "type": row["type"], "required": bool(row["required"])}  # fmt: skip
            choices = [c.strip() for c in (row["choices"] or "").splitlines() if c.strip()]
            if choices or row["type"] in (QuestionType.CHOICE, QuestionType.MULTICHOICE):
                q["choices"] = choices
            if (row["help"] or "").strip():
                q["help"] = row["help"].strip()
            if (row["show_if"] or "").strip():
                target = row["show_if"].strip()
                q["show_if"] = {"question": target, "equals": _equals(kinds.get(target), row["equals"] or "")}
            kinds[q["name"]] = q["type"]
            out.append(q)
            self._question_at.append(i)
        return out

    def _task_payload(self) -> list[dict[str, Any]]:
        data, out = self.cleaned_data, []
        self._task_at = []
        for i in range(self.task_rows):
            text = (data.get(f"t-{i}-short_description") or "").strip()
            group = (data.get(f"t-{i}-assignment_group") or "").strip()
            if not text and not group:
                continue
            out.append({"stage": data.get(f"t-{i}-stage") or 1, "short_description": text, "assignment_group": group})
            self._task_at.append(i)
        return out

    def _access_payload(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not (data.get("access_system") or "").strip():
            return None
        role = (data.get("access_role") or "").strip()
        access: dict[str, Any] = {"system": data["access_system"].strip(), "role": role,
                                  "max_days": data.get("access_max_days")}  # fmt: skip
        for key in ("reference", "days"):
            if (data.get(f"access_{key}") or "").strip():
                access[key] = data[f"access_{key}"].strip()
        return access

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        body: dict[str, Any] = {
            "category": data["category"], "title": data.get("title", ""), "description": data.get("description", ""),
            "gxp": bool(data.get("gxp")), "active": bool(data.get("active")), "order": data.get("order") or 0,
            "approval": _names(data.get("approval", "")),
            "audience": {"roles": list(data.get("audience_roles") or []),
                         "sites": _names(data.get("audience_sites", "")),
                         "groups": _names(data.get("audience_groups", ""))},
            "questions": self._question_payload(), "tasks": self._task_payload(), "access": self._access_payload(),
        }  # fmt: skip
        if self.creating:
            body["name"] = data.get("name", "")
        return body

    def preview(self) -> list[dict[str, Any]]:
        """The questions as they would be stored, for the preview; their problems go next to their rows."""
        errors = Errors()
        checked = checked_questions(self._question_payload(), errors)
        for item in errors:
            self.add_error(self.form_field_for(item.field), item.message)
        return checked

    def form_field_for(self, name: str) -> str | None:
        """Where an action's error goes: `questions[2].show_if.equals` -> the third filled question row's
        "is answered" field, `tasks[0].assignment_group` -> the first task row's group, `access.role` ->
        `access_role`, `approval[1]` -> `approval`."""
        if name in FLAT_ERRORS:
            return FLAT_ERRORS[name]
        if name.startswith("approval"):
            return "approval"
        match = ROW_ERROR.match(name)
        if match:
            kind, index, key, sub = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            rows = self._question_at if kind == "questions" else self._task_at
            if index < len(rows):
                if kind == "questions" and key == "show_if":
                    key = "equals" if sub == "equals" else "show_if"
                key = key if key in (QUESTION_KEYS if kind == "questions" else TASK_KEYS) else "name"
                if kind == "tasks" and key == "name":
                    key = "short_description"
                return f"{kind[0]}-{rows[index]}-{key}"
        return name if name in self.fields else None


def initial_for(item: CatalogItem) -> tuple[dict[str, Any], int, int]:
    """The form's initial values from an item's current version; the number of question and task rows."""
    version = item.current
    assert version is not None
    audience = audience_of(item)
    access = version.access or {}
    initial: dict[str, Any] = {
        "name": item.name, "category": item.category.name, "title": version.title,
        "description": version.description, "gxp": version.gxp, "active": item.active, "order": item.order,
        "approval": ", ".join(version.approval or []), "audience_roles": audience["roles"],
        "audience_sites": ", ".join(audience["sites"]), "audience_groups": ", ".join(audience["groups"]),
        "access_system": access.get("system", ""), "access_role": access.get("role", ""),
        "access_max_days": access.get("max_days"), "access_reference": access.get("reference", ""),
        "access_days": access.get("days", ""),
    }  # fmt: skip
    for i, q in enumerate(version.questions):
        shown = q.get("show_if") or {}
        equals = shown.get("equals", "")
        initial.update({
            f"q-{i}-name": q["name"], f"q-{i}-label": q["label"], f"q-{i}-type": q["type"],
            f"q-{i}-required": q.get("required", False), f"q-{i}-choices": "\n".join(q.get("choices", [])),
            f"q-{i}-help": q.get("help", ""), f"q-{i}-show_if": shown.get("question", ""),
            f"q-{i}-equals": ("yes" if equals else "no") if isinstance(equals, bool) else str(equals),
        })  # fmt: skip
    for i, t in enumerate(version.tasks or []):
        initial.update({f"t-{i}-stage": t["stage"], f"t-{i}-short_description": t["short_description"],
                        f"t-{i}-assignment_group": t["assignment_group"]})  # fmt: skip
    return initial, len(version.questions) + SPARE_ROWS, len(version.tasks or []) + SPARE_ROWS
