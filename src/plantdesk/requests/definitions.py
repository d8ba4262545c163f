"""The parts of a catalog item's definition besides its questions: the approval chain, the fulfilment
template and the access it grants; checked when an administrator saves the item."""

from __future__ import annotations

import re
from typing import Any

from plantdesk.accounts.models import AssignmentGroup
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.fields import Errors
from plantdesk.requests.choices import QuestionType

MANAGER, QA, GROUP_PREFIX = "manager", "qa", "group:"
MAX_STEPS, MAX_TASKS, MAX_DAYS = 5, 30, 3650
ANSWER_REF = re.compile(r"^\{([a-z][a-z0-9_]{0,39})\}$")  # "{role}": the answer to the question `role`


def checked_approval(raw: Any, errors: Errors) -> list[str]:
    """`none`, one step or a list of steps (sequential): `manager`, `group:<name>`, `qa`."""
    steps = [] if raw in (None, "none", "") else [raw] if isinstance(raw, str) else raw
    if not isinstance(steps, list) or not all(isinstance(s, str) for s in steps):
        errors.add("approval", "Give none, manager, qa, group:<name>, or a list of them (in order).")
        return []
    if len(steps) > MAX_STEPS:
        errors.add("approval", f"At most {MAX_STEPS} approval steps.")
    out: list[str] = []
    for i, step in enumerate(steps):
        step = step.strip()
        if step in (MANAGER, QA) or (
            step.startswith(GROUP_PREFIX) and AssignmentGroup.objects.filter(name=step[len(GROUP_PREFIX) :]).exists()
        ):
            out.append(step)
        elif step.startswith(GROUP_PREFIX):
            errors.add(f"approval[{i}]", f"Unknown group: {step[len(GROUP_PREFIX) :]}.")
        else:
            errors.add(f"approval[{i}]", "Use manager, qa or group:<name>.")
    return out


def checked_tasks(raw: Any, errors: Errors) -> list[dict[str, Any]]:
    """The fulfilment template: tasks with a stage (1, 2, ...: in order; tasks of one stage in parallel)."""
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_TASKS:
        errors.add("tasks", f"Give a list of at most {MAX_TASKS} tasks.")
        return []
    out = []
    for i, t in enumerate(raw):
        at = f"tasks[{i}]"
        if not isinstance(t, dict):
            errors.add(at, "Each task is {stage, short_description, assignment_group}.")
            continue
        unknown = sorted(set(t) - {"stage", "short_description", "assignment_group"})
        if unknown:
            errors.add(f"{at}.{unknown[0]}", "Unknown key.")
        stage = t.get("stage", 1)
        if isinstance(stage, bool) or not isinstance(stage, int) or not 1 <= stage <= 20:
            errors.add(f"{at}.stage", "A whole number from 1 to 20.")
        text = t.get("short_description")
        if not isinstance(text, str) or not text.strip() or len(text) > 160:
            errors.add(f"{at}.short_description", "A text of 1 to 160 characters.")
        group = t.get("assignment_group")
        if not isinstance(group, str) or not AssignmentGroup.objects.filter(name=group).exists():
            errors.add(f"{at}.assignment_group", f"Unknown group: {group}.")
        out.append({"stage": stage, "short_description": str(text or "").strip(), "assignment_group": group})
    return sorted(out, key=lambda t: t["stage"])


def checked_access(raw: Any, questions: list[dict[str, Any]], errors: Errors) -> dict[str, Any] | None:
    """{"system": CI name or "{question}", "role": text or "{question}", "max_days": N, optional
    "reference": a question holding the change or incident the access serves (vendor remote access),
    optional "days": a number question asking for fewer days}."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add("access", 'Give {"system", "role", "max_days"} or null.')
        return None
    by_name = {q["name"]: q for q in questions}
    unknown = sorted(set(raw) - {"system", "role", "max_days", "reference", "days"})
    if unknown:
        errors.add(f"access.{unknown[0]}", "Unknown key.")
    system = raw.get("system")
    ref = ANSWER_REF.match(system) if isinstance(system, str) else None
    if ref and by_name.get(ref.group(1), {}).get("type") != QuestionType.CI:
        errors.add("access.system", f"{{{ref.group(1)}}} must name a question of type ci.")
    elif not ref and not (isinstance(system, str) and ConfigurationItem.objects.filter(name=system).exists()):
        errors.add("access.system", f"Unknown configuration item: {system}.")
    role = raw.get("role")
    ref = ANSWER_REF.match(role) if isinstance(role, str) else None
    if not isinstance(role, str) or not role.strip() or len(role) > 120:
        errors.add("access.role", "A role name of 1 to 120 characters, or {question}.")
    elif ref and ref.group(1) not in by_name:
        errors.add("access.role", f"No question is named {ref.group(1)}.")
    max_days = raw.get("max_days")
    if isinstance(max_days, bool) or not isinstance(max_days, int) or not 1 <= max_days <= MAX_DAYS:
        errors.add("access.max_days", f"A whole number of days from 1 to {MAX_DAYS}.")
    out: dict[str, Any] = {"system": system, "role": role, "max_days": max_days}
    for key, kinds in (("reference", (QuestionType.TEXT,)), ("days", (QuestionType.NUMBER,))):
        name = raw.get(key)
        if name is None:
            continue
        question = by_name.get(name) if isinstance(name, str) else None
        if question is None or question["type"] not in kinds:
            errors.add(f"access.{key}", f"Name a question of type {kinds[0]}.")
        elif key == "reference" and (not question["required"] or question.get("show_if")):
            errors.add(f"access.{key}", f"The question {name} must be required and always asked.")
        out[key] = name
    return out


def from_answers(template: str, answers: dict[str, Any]) -> str:
    """A literal, or the answer a "{question}" template names."""
    ref = ANSWER_REF.match(template)
    return str(answers.get(ref.group(1), "")) if ref else template
