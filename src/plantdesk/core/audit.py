"""The audit trail (ARCHITECTURE rule 4): buffered per action, chained when the action commits.

Actions call `audit.record(...)` for each change (and `domain_events.record_event(...)` for what other apps
may react to). The entries of one outermost action are written together at its end, its domain events
first, then the audit entries under the lock of the chain head, so the chain is strictly ordered while the
lock is held only for the last statements of the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from plantdesk.core.action_buffer import CURRENT, ActionBuffer, PendingEntry, current_buffer
from plantdesk.core.actors import Actor
from plantdesk.core.domain_events import flush_events
from plantdesk.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


@contextmanager
def action_transaction() -> Iterator[ActionBuffer]:
    """`transaction.atomic()` whose audit entries are chained just before the outermost one commits."""
    outer = CURRENT.get()
    with transaction.atomic():
        if outer is not None:
            mark, events_mark = len(outer.entries), len(outer.events)
            try:
                yield outer
            except BaseException:
                del outer.entries[mark:]  # the savepoint rolled back; so do its entries and events
                del outer.events[events_mark:]
                raise
            return
        buffer = ActionBuffer()
        token = CURRENT.set(buffer)
        try:
            yield buffer
            _flush_buffer(buffer)
        finally:
            CURRENT.reset(token)


def _flush_buffer(buffer: ActionBuffer) -> None:
    at = timezone.now()
    flush_events(buffer.events, at)  # before the audit entries: the chain head stays locked for less time
    _flush(buffer.entries, at)


LABEL_LENGTH = 64  # AuditEntry.record_label


def record(
    *,
    actor: Actor,
    record_type: str,
    record_id: int,
    record_label: str,
    action: str,
    field: str = "",
    old: Any = "",
    new: Any = "",
    reason: str = "",
) -> None:
    current_buffer("audit.record()").entries.append(
        PendingEntry(
            actor=actor,
            record_type=record_type,
            record_id=record_id,
            record_label=record_label[:LABEL_LENGTH],  # a label names the record; the id identifies it
            action=action,
            field=field,
            old=as_text(old),
            new=as_text(new),
            reason=reason or "",
        )
    )


def as_text(value: Any) -> str:
    """A stable text form of a field value for old/new columns."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)  # stable, so equal values compare equal
    if hasattr(value, "audit_label"):
        return str(value.audit_label)
    return str(value)


def entry_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and every meaningful column, in a fixed canonical form."""
    payload = [
        prev_hash,
        values["seq"],
        values["at"].astimezone(UTC).isoformat(timespec="microseconds"),
        values["actor_username"],
        values["actor_name"],
        values["record_type"],
        values["record_id"],
        values["record_label"],
        values["action"],
        values["field"],
        values["old"],
        values["new"],
        values["reason"],
    ]
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


_ENTRY_COLUMNS = (
    "seq", "at", "actor_id", "actor_username", "actor_name", "record_type", "record_id", "record_label",
    "action", "field", "old", "new", "reason", "prev_hash", "hash",
)  # fmt: skip
_ROWS_PER_INSERT = 200  # stays far below SQLite's limit on bound parameters


def _flush(entries: list[PendingEntry], at: datetime) -> None:
    """Chain and write the buffered entries: plain SQL, since this runs inside every write."""
    if not entries:
        return
    entry_table = AuditEntry._meta.db_table
    head_table = AuditChainHead._meta.db_table
    at_db = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        # One statement takes the head's row lock and reserves the sequence numbers.
        cursor.execute(
            f"UPDATE {head_table} SET last_seq = last_seq + %s WHERE id = 1 RETURNING last_seq, last_hash",  # noqa: S608
            [len(entries)],
        )
        head = cursor.fetchone()
        if head is None:
            raise RuntimeError("The audit chain head row is missing (migration core 0002 creates it).")
        seq, prev = int(head[0]) - len(entries), str(head[1])
        rows: list[tuple[Any, ...]] = []
        for pending in entries:
            seq += 1
            values: dict[str, Any] = {
                "seq": seq,
                "at": at,
                "actor_username": pending.actor.username,
                "actor_name": pending.actor.printed_name,
                "record_type": pending.record_type,
                "record_id": pending.record_id,
                "record_label": pending.record_label,
                "action": pending.action,
                "field": pending.field,
                "old": pending.old,
                "new": pending.new,
                "reason": pending.reason,
            }
            digest = entry_hash(prev, values)
            values.update(at=at_db, actor_id=pending.actor.pk, prev_hash=prev, hash=digest)
            rows.append(tuple(values[c] for c in _ENTRY_COLUMNS))
            prev = digest
        if connection.vendor == "postgresql" and len(rows) > _ROWS_PER_INSERT:
            _copy_entries(cursor, entry_table, rows)  # an import: hundreds of thousands of entries
            cursor.execute(f"UPDATE {head_table} SET last_hash = %s WHERE id = 1", [prev])  # noqa: S608
            return
        columns = ", ".join(_ENTRY_COLUMNS)
        one_row = "(" + ", ".join(["%s"] * len(_ENTRY_COLUMNS)) + ")"
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            insert = f"INSERT INTO {entry_table} ({columns}) VALUES {', '.join([one_row] * len(chunk))}"  # noqa: S608
            params = [value for row in chunk for value in row]
            last = start + _ROWS_PER_INSERT >= len(rows)
            if last and connection.vendor == "postgresql":
                # The last rows and the new head hash in one round trip.
                cursor.execute(
                    f"WITH inserted AS ({insert}) UPDATE {head_table} SET last_hash = %s WHERE id = 1",  # noqa: S608
                    [*params, prev],
                )
            else:
                cursor.execute(insert, params)
        if connection.vendor != "postgresql":
            cursor.execute(f"UPDATE {head_table} SET last_hash = %s WHERE id = 1", [prev])  # noqa: S608


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(chunk_size: int = 5000) -> VerifyResult:
    """Walk the whole chain: contiguous sequence, matching links, recomputed hashes, head agreement."""
    columns = [
        "seq", "at", "actor_username", "actor_name", "record_type", "record_id", "record_label",
        "action", "field", "old", "new", "reason", "prev_hash", "hash",
    ]  # fmt: skip
    expected_seq, prev = 1, GENESIS_HASH
    checked = 0
    for row in AuditEntry.objects.order_by("seq").values_list(*columns).iterator(chunk_size=chunk_size):
        values = dict(zip(columns, row, strict=True))
        seq = values["seq"]
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry #{expected_seq} is missing (deleted)")
        if values["prev_hash"] != prev:
            return VerifyResult(False, checked, seq, f"entry #{seq} does not link to entry #{seq - 1}")
        if entry_hash(prev, values) != values["hash"]:
            return VerifyResult(False, checked, seq, f"entry #{seq} was altered after it was written")
        prev = values["hash"]
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    last_seq = head.last_seq if head else 0
    if last_seq != checked or (head and head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, f"entries #{checked + 1}..#{last_seq} are missing (deleted)")
    return VerifyResult(True, checked)


def snapshot(obj: Any, fields: list[str]) -> dict[str, str]:
    """The audit text of `fields` on `obj` (foreign keys by their audit label), to diff before/after."""
    values: dict[str, str] = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = as_text(value)
    return values


def default_snapshot(model: Any, fields: list[str]) -> dict[str, str]:
    """The "before" of a new record: its empty defaults (blank, none, false, 0).

    A new record's audit entries then name every meaningful initial value (impact 2 included) but not
    the flags and counters that merely start empty.
    """
    defaults = {name: model._meta.get_field(name).get_default() for name in fields}
    return {name: as_text(value) for name, value in defaults.items() if not value}


def record_changes(
    *,
    actor: Actor,
    obj: Any,
    record_type: str,
    before: dict[str, str],
    after: dict[str, str],
    action: str = "updated",
    reason: str = "",
) -> list[str]:
    """One audit entry per field whose text changed; returns the changed field names."""
    changed = [name for name in after if before.get(name, "") != after[name]]
    for name in changed:
        record(
            actor=actor,
            record_type=record_type,
            record_id=obj.pk,
            record_label=obj.audit_label,
            action=action,
            field=name,
            old=before.get(name, ""),
            new=after[name],
            reason=reason,
        )
    return changed


def _copy_entries(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Write already chained entries with COPY (PostgreSQL): composing multi-row INSERTs of 400,000
    entries cost the driver more time than the database spent storing them."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(_ENTRY_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
