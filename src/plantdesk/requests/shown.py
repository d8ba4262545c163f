"""Answers as people read them: the question's label, Yes / No, lists joined (the portal and agent pages)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def shown_answer(value: Any) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def answer_rows(questions: list[dict[str, Any]], answers: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, answer) in the order the questions were asked; only the questions answered."""
    return [(q["label"], shown_answer(answers[q["name"]])) for q in questions if q["name"] in answers]


def approval_steps(codes: list[str]) -> list[str]:
    """An item's approval chain in words: `manager`, `qa`, `group:CAB` -> "your manager", "QA", "group CAB"."""
    words = []
    for code in codes:
        if code == "manager":
            words.append(_("your manager"))
        elif code == "qa":
            words.append(_("QA"))
        elif code.startswith("group:"):
            words.append(_("group %(name)s") % {"name": code.removeprefix("group:")})
    return words


def step_label(code: str) -> str:
    """An approval step as its approvers read it: `manager` -> "Manager", `qa` -> "QA", `group:CAB` -> "CAB"."""
    if code == "manager":
        return _("Manager")
    if code == "qa":
        return _("QA")
    return code.removeprefix("group:") if code else "—"
