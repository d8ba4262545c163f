"""The shared plumbing of the request actions: locked reads, audit entries, domain events, system notes."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.models import User
from plantdesk.core import audit
from plantdesk.core.domain_events import Changes, record_event
from plantdesk.core.errors import InvalidInput
from plantdesk.core.journal import add_journal_entry
from plantdesk.core.models import JournalKind, Visibility


def audit_entry(actor: User, record_type: str, record: Any, action: str, **kwargs: Any) -> None:
    audit.record(actor=actor, record_type=record_type, record_id=record.pk, record_label=record.audit_label,
                 action=action, **kwargs)  # fmt: skip


def emit(what: str, record_type: str, record: Any, actor: User, changes: Changes | None = None,
         data: dict[str, Any] | None = None) -> None:  # fmt: skip
    record_event(f"{record_type}.{what}", record_type=record_type, record=record, actor=actor,
                 changes=changes or {}, data=data)  # fmt: skip


def state_change(actor: User, record_type: str, record: Any, old: str, new: str, reason: str = "") -> None:
    """Audit and announce a state change already set on `record`."""
    audit_entry(actor, record_type, record, "updated", field="state", old=old, new=new, reason=reason)
    emit("state_changed", record_type, record, actor, {"state": {"old": old, "new": new}})


def required_reason(value: str, *, limit: int, why: str) -> str:
    """A reason the action records (canceling, revoking): required, at most `limit` characters."""
    reason = (value or "").strip()
    if not reason:
        raise InvalidInput.for_field("reason", why)
    if len(reason) > limit:
        raise InvalidInput.for_field("reason", f"At most {limit} characters.")
    return reason


def note(record_type: str, record: Any, text: str, *, actor: User, public: bool = False) -> None:
    """A line on the record's journal written by PlantDesk (public ones reach the requester in the portal)."""
    add_journal_entry(record_type=record_type, record=record, body=text, actor=actor,
                      visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
                      kind=JournalKind.NOTE if public else JournalKind.SYSTEM)  # fmt: skip
