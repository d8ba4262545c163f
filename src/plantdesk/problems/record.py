"""The shared plumbing of the problem actions: the locked read, domain events, audit entries, system notes."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import locked_in_scope
from plantdesk.core import audit
from plantdesk.core.domain_events import Changes, record_event
from plantdesk.core.errors import NotFound
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import JournalKind, Visibility
from plantdesk.problems.models import RECORD_TYPE, Problem


def note(problem: Problem, text: str, *, actor: User) -> None:
    """A system note on the problem's journal (inside the caller's action)."""
    add_journal_entry(record_type=RECORD_TYPE, record=problem, body=text, visibility=Visibility.INTERNAL,
                      actor=actor, kind=JournalKind.SYSTEM)  # fmt: skip


def lock(problem: Problem, actor: User, action: str = "change") -> Problem:
    """Re-read the row under lock, through the permission scope (a problem the actor cannot see is 404)."""
    locked = locked_in_scope(actor, "view" if action == "view" else "change", Problem, problem.pk)
    if locked is None:
        raise NotFound(f"Problem {problem.number} not found.")
    return locked


def emit(what: str, problem: Problem, actor: User, changes: Changes | None = None,
          data: dict[str, Any] | None = None) -> None:  # fmt: skip
    record_event(f"{RECORD_TYPE}.{what}", record_type=RECORD_TYPE, record=problem, actor=actor,
                 changes=changes or {}, data=data)  # fmt: skip


def audit_entry(actor: User, problem: Problem, action: str, **kwargs: Any) -> None:
    audit.record(actor=actor, record_type=RECORD_TYPE, record_id=problem.pk, record_label=problem.number,
                 action=action, **kwargs)  # fmt: skip
