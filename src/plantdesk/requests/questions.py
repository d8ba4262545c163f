"""A catalog item's questions and the answers to them: one set of rules for the API, the portal form and
the item editor's preview (CONTRACT.md section 9).

A question: {"name", "label", "type", "required", "choices", "show_if": {"question", "equals"}, "help"}.
A question hidden by its `show_if` is neither required nor stored; answering it is an error."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from plantdesk.accounts.models import AssignmentGroup, User
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.fields import Errors
from plantdesk.requests.choices import QuestionType

MAX_QUESTIONS = 40
MAX_CHOICES = 100
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_LIMITS = {QuestionType.TEXT: 500, QuestionType.TEXTAREA: 5000}
CHOICE_TYPES = (QuestionType.CHOICE, QuestionType.MULTICHOICE)
REFERENCE_TYPES = (QuestionType.USER, QuestionType.CI, QuestionType.GROUP)


def checked_questions(raw: Any, errors: Errors, field: str = "questions") -> list[dict[str, Any]]:
    """The item's questions in their stored form, each problem reported as `questions[i].<key>`."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add(field, "Give a list of questions.")
        return []
    if len(raw) > MAX_QUESTIONS:
        errors.add(field, f"At most {MAX_QUESTIONS} questions.")
        return []
    seen: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for i, q in enumerate(raw):
        at = f"{field}[{i}]"
        if not isinstance(q, dict):
            errors.add(at, "Each question is an object with name, label and type.")
            continue
        unknown = sorted(set(q) - {"name", "label", "type", "required", "choices", "show_if", "help"})
        if unknown:
            errors.add(f"{at}.{unknown[0]}", "Unknown key.")
        name = q.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            errors.add(f"{at}.name", "A lower-case name: letters, digits and _, starting with a letter (at most 40).")
            continue
        if name in seen:
            errors.add(f"{at}.name", f"Two questions are named {name}.")
            continue
        label = q.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            errors.add(f"{at}.label", "A label of 1 to 200 characters.")
        kind = q.get("type")
        if kind not in QuestionType.values:
            errors.add(f"{at}.type", f"Must be one of {', '.join(QuestionType.values)}.")
            continue
        required = q.get("required", False)
        if not isinstance(required, bool):
            errors.add(f"{at}.required", "Must be true or false.")
        help_text = q.get("help", "")
        if not isinstance(help_text, str) or len(help_text) > 500:
            errors.add(f"{at}.help", "A text of at most 500 characters.")
        question: dict[str, Any] = {"name": name, "label": str(label or "").strip(), "type": kind,
                                    "required": bool(required)}  # fmt: skip
        if help_text:
            question["help"] = help_text.strip()
        if kind in CHOICE_TYPES:
            question["choices"] = _checked_choices(q.get("choices"), f"{at}.choices", errors)
        elif q.get("choices"):
            errors.add(f"{at}.choices", f"Only {' and '.join(CHOICE_TYPES)} questions have choices.")
        show_if = q.get("show_if")
        if show_if is not None:
            question["show_if"] = _checked_show_if(show_if, f"{at}.show_if", seen, errors)
        seen[name] = question
        out.append(question)
    return out


def _checked_choices(raw: Any, field: str, errors: Errors) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(c, str) and c.strip() for c in raw):
        errors.add(field, "Give a list of at least one choice (texts).")
        return []
    choices = [c.strip() for c in raw]
    if len(set(choices)) != len(choices):
        errors.add(field, "Each choice once.")
    if len(choices) > MAX_CHOICES or any(len(c) > 200 for c in choices):
        errors.add(field, f"At most {MAX_CHOICES} choices of at most 200 characters.")
    return choices


def _checked_show_if(raw: Any, field: str, earlier: dict[str, dict[str, Any]], errors: Errors) -> dict[str, Any]:
    """A condition on an earlier question's answer (so that a form can be read top to bottom)."""
    if not isinstance(raw, dict) or set(raw) != {"question", "equals"}:
        errors.add(field, 'Give {"question": "<an earlier question>", "equals": <a value>}.')
        return {}
    target = earlier.get(raw["question"]) if isinstance(raw["question"], str) else None
    if target is None:
        errors.add(f"{field}.question", "Name a question asked before this one.")
        return {}
    probe = Errors()
    _typed(target, raw["equals"], "equals", probe, resolve=False)
    if probe or isinstance(raw["equals"], list):
        errors.add(f"{field}.equals", f"Must be a possible answer to {target['name']}.")
    return {"question": target["name"], "equals": raw["equals"]}


def visible(question: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether the question is asked, given the (stored) answers to the questions before it."""
    cond = question.get("show_if")
    return not cond or answers.get(cond["question"]) == cond["equals"]


def checked_answers(
    questions: list[dict[str, Any]], raw: Any, errors: Errors, prefix: str,
    *, cis: dict[str, ConfigurationItem] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The answers as stored: visible questions only, typed and resolved (people, CIs and groups by name).
    Each problem names `<prefix>.<question>` (e.g. `items[0].answers.role`). `cis`: filled with the CIs
    named, by name, for a caller that needs them next (no second read)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        errors.add(prefix, "Give the answers as an object: question name -> answer.")
        return {}
    names = {q["name"] for q in questions}
    for extra in sorted(set(raw) - names):
        errors.add(f"{prefix}.{extra}", "This item has no such question.")
    stored: dict[str, Any] = {}
    for q in questions:
        at = f"{prefix}.{q['name']}"
        given = raw.get(q["name"])
        blank = given is None or given == "" or given == []
        if not visible(q, stored):
            if not blank:  # an answer to what was not asked is a mistake of the client's, never kept
                cond = q["show_if"]
                errors.add(at, f"Not asked unless {cond['question']} is {_shown(cond['equals'])}; leave it out.")
            continue
        if blank:
            if q["required"]:
                errors.add(at, "This question is required.")
            continue
        value = _typed(q, given, at, errors, resolve=True, cis=cis)
        if value is not None:
            stored[q["name"]] = value
    return stored


def _shown(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else str(value)


def _typed(
    q: dict[str, Any], value: Any, at: str, errors: Errors, *, resolve: bool,
    cis: dict[str, ConfigurationItem] | None = None,
) -> Any:  # fmt: skip
    kind = q["type"]
    if kind in TEXT_LIMITS:
        if not isinstance(value, str) or "\x00" in value:
            errors.add(at, "Must be text.")
            return None
        value = value.strip()
        if len(value) > TEXT_LIMITS[kind]:
            errors.add(at, f"At most {TEXT_LIMITS[kind]} characters (got {len(value)}).")
            return None
        return value
    if kind == QuestionType.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN
            errors.add(at, "Must be a number.")
            return None
        return value
    if kind == QuestionType.BOOLEAN:
        if not isinstance(value, bool):
            errors.add(at, "Must be true or false.")
            return None
        return value
    if kind == QuestionType.CHOICE:
        if value not in q.get("choices", []):
            errors.add(at, f"Must be one of: {', '.join(q.get('choices', []))}.")
            return None
        return value
    if kind == QuestionType.MULTICHOICE:
        allowed = q.get("choices", [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
            errors.add(at, f"Give a list of: {', '.join(allowed)}.")
            return None
        return list(dict.fromkeys(value))
    if kind == QuestionType.DATE:
        return _date(value, at, errors)
    if not resolve:  # a show_if value: a name, checked when someone answers
        if not isinstance(value, str):
            errors.add(at, "Give a name.")
        return value
    return _reference(kind, value, at, errors, cis)


def _date(value: Any, at: str, errors: Errors) -> str | None:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    errors.add(at, "A date as YYYY-MM-DD.")
    return None


def _reference(kind: str, value: Any, at: str, errors: Errors, cis: dict[str, ConfigurationItem] | None) -> str | None:
    """A person, CI or group by its name, which must exist (and be active)."""
    if not isinstance(value, str) or not value.strip():
        errors.add(at, "Give a name.")
        return None
    name = value.strip()
    if kind == QuestionType.USER:
        found = User.objects.filter(username=name, is_active=True, is_integration=False).exists()
        what = "person"
    elif kind == QuestionType.CI:
        usable = ConfigurationItem.objects.filter(name=name).exclude(status="retired")
        if cis is None:
            found = usable.exists()
        else:
            ci = usable.first()
            if ci is not None:
                cis[name] = ci
            found = ci is not None
        what = "configuration item"
    else:
        found = AssignmentGroup.objects.filter(name=name).exists()
        what = "group"
    if not found:
        errors.add(at, f"Unknown {what}: {name}.")
        return None
    return name


def answers_from_event(questions: list[dict[str, Any]], *, ci: str | None, title: str, details: str) -> dict[str, Any]:
    """What an alert answers when an `open_request` rule orders the item: its CI for the CI questions, its
    title for a short text, its details for a long one. Anything else stays unanswered (a required one makes
    the order fail, and the alert is recorded)."""
    answers: dict[str, Any] = {}
    for q in questions:
        if not visible(q, answers):
            continue
        if q["type"] == QuestionType.CI and ci:
            answers[q["name"]] = ci
        elif q["type"] == QuestionType.TEXT:
            answers[q["name"]] = title[: TEXT_LIMITS[QuestionType.TEXT]]
        elif q["type"] == QuestionType.TEXTAREA:
            answers[q["name"]] = details[: TEXT_LIMITS[QuestionType.TEXTAREA]]
    return answers
