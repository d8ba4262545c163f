"""The journal shared by every record: public comments and internal work notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from plantdesk.core import audit
from plantdesk.core.actors import Actor
from plantdesk.core.errors import InvalidInput
from plantdesk.core.models import JournalEntry, JournalKind, Visibility

MAX_BODY = 20_000
_ROWS_PER_INSERT = 200  # stays far below SQLite's limit on bound parameters


def add_journal_entry(
    *, record_type: str, record: Any, body: str, visibility: str, actor: Actor, kind: str = JournalKind.NOTE
) -> JournalEntry:
    """Append a journal entry inside the caller's action (which holds the record's lock)."""
    text = _checked_body(body)
    entry = JournalEntry.objects.create(
        record_type=record_type, record_id=record.pk, visibility=visibility, body=text, author_id=actor.pk, kind=kind
    )
    audit.record(
        actor=actor,
        record_type=record_type,
        record_id=record.pk,
        record_label=record.audit_label,
        action=_audit_action(kind, visibility),
        field="journal",
        new=text,
    )
    return entry


def add_journal_entries(
    *, record_type: str, records: list[Any], body: str, visibility: str, actor: Actor, kind: str = JournalKind.NOTE
) -> list[JournalEntry]:
    """The same entry on many records in one insert (a workaround posted to every incident of a problem),
    audited per record like `add_journal_entry`, inside the caller's action (which holds the records' locks)."""
    if not records:
        return []
    text = _checked_body(body)
    entries = JournalEntry.objects.bulk_create(
        JournalEntry(record_type=record_type, record_id=r.pk, visibility=visibility, body=text, author_id=actor.pk,
                     kind=kind)
        for r in records
    )  # fmt: skip
    action = _audit_action(kind, visibility)
    for record in records:
        audit.record(actor=actor, record_type=record_type, record_id=record.pk, record_label=record.audit_label,
                     action=action, field="journal", new=text)  # fmt: skip
    return entries


def add_journal_notes(
    *, record_type: str, notes: Sequence[tuple[Any, str]], visibility: str, actor: Actor, kind: str = JournalKind.NOTE
) -> list[JournalEntry]:
    """A different entry on each of many records in one insert (a worker's batch), in the order given and
    audited per entry like `add_journal_entry`, inside the caller's action (which holds the records' locks)."""
    if not notes:
        return []
    checked = [(record, _checked_body(body)) for record, body in notes]
    entries = JournalEntry.objects.bulk_create(
        [JournalEntry(record_type=record_type, record_id=r.pk, visibility=visibility, body=text, author_id=actor.pk,
                      kind=kind)
         for r, text in checked],
        batch_size=_ROWS_PER_INSERT,
    )  # fmt: skip
    action = _audit_action(kind, visibility)
    for record, text in checked:
        audit.record(actor=actor, record_type=record_type, record_id=record.pk, record_label=record.audit_label,
                     action=action, field="journal", new=text)  # fmt: skip
    return entries


def _checked_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidInput.for_field("body", "A comment cannot be empty.")
    if "\x00" in text:
        raise InvalidInput.for_field("body", "Must not contain NUL characters.")
    if len(text) > MAX_BODY:
        raise InvalidInput.for_field("body", f"At most {MAX_BODY} characters.")
    return text


def _audit_action(kind: str, visibility: str) -> str:
    """A system note is audited as the work note it is (internal), so the same readers see it."""
    if kind == JournalKind.COMMUNICATION:
        return kind
    return "comment" if visibility == Visibility.PUBLIC else "work_note"


def journal_for(record_type: str, record_id: int, *, include_internal: bool) -> QuerySet[JournalEntry]:
    qs = JournalEntry.objects.filter(record_type=record_type, record_id=record_id).select_related("author")
    if not include_internal:
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return qs.order_by("created_at", "id")


def communications_for(record_type: str, record_id: int) -> QuerySet[JournalEntry]:
    return journal_for(record_type, record_id, include_internal=False).filter(kind=JournalKind.COMMUNICATION)
