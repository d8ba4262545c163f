"""Approvals of records other than changes (a request item's manager / group / QA approvals).

The approvals table, the list of "my approvals" and the decision endpoint live here, below the record apps
that use them; such an app registers how a decision on its record is carried out (inside the decision's
transaction, so the decision and its consequences, such as fulfilment starting, commit together)."""

from __future__ import annotations

from typing import Protocol

from plantdesk.accounts.models import User
from plantdesk.changes.models import Approval


class Decider(Protocol):
    def __call__(self, approval: Approval, decision: str, *, actor: User, comment: str, meaning: str) -> Approval: ...


_deciders: dict[str, Decider] = {}


def register_decider(record_type: str, decider: Decider) -> None:
    _deciders[record_type] = decider


def decider_for(record_type: str) -> Decider:
    try:
        return _deciders[record_type]
    except KeyError:
        raise LookupError(f"No app decides approvals of {record_type!r} records.") from None
