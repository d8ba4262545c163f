"""Storing accepted events in the inbox in one statement per batch, idempotently, with the ids back.

The ingest's hot path: Django's bulk_create with ignore_conflicts returns no ids and builds a model and
its parameters per row, which cost the MQTT ingest most of its time. PostgreSQL takes the whole batch as
one INSERT ... SELECT FROM unnest(arrays); SQLite a multi-row VALUES. Both skip a (source, key) already
there and return the ids they inserted; only a redelivery's id needs looking up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection

from plantdesk.events.models import InboxEvent

SQLITE_CHUNK = 1000  # rows per statement: 11 parameters each, under SQLite's 32,766
TYPES = ("varchar", "varchar", "varchar", "varchar", "text", "varchar", "text", "timestamptz", "bigint", "varchar",
         "text")  # fmt: skip


class Row(NamedTuple):
    channel: str
    source: str
    idempotency_key: str
    dedup_key: str
    payload: str
    sha256: str
    event: dict[str, Any] | None
    received_at: datetime
    received_by_id: int | None
    status: str
    reason: str


Key = tuple[str, str]  # (source, idempotency key)


def insert_once(rows: Sequence[Row]) -> dict[Key, int]:
    """Insert the rows whose (source, key) is new; returns the inbox id of every row's key."""
    if not rows:
        return {}
    table = InboxEvent._meta.db_table
    columns = ", ".join(Row._fields)
    values = [row._replace(event=json.dumps(row.event) if row.event is not None else None) for row in rows]  # type: ignore[arg-type]
    found: dict[Key, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{t}[]" for t in TYPES)
            names = ", ".join(f"c{i}" for i in range(len(TYPES)))
            selected = ", ".join(f"c{i}::jsonb" if name == "event" else f"c{i}" for i, name in enumerate(Row._fields))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {selected} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
                "ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id, source, idempotency_key",
                [list(column) for column in zip(*values, strict=True)],
            )
            found.update(((source, key), pk) for pk, source, key in cursor.fetchall())
        else:
            for start in range(0, len(values), SQLITE_CHUNK):
                chunk = values[start : start + SQLITE_CHUNK]
                placeholders = ", ".join(["(" + ", ".join(["%s"] * len(TYPES)) + ")"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608
                    "ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id, source, idempotency_key",
                    [_sqlite(value) for row in chunk for value in row],
                )
                found.update(((source, key), pk) for pk, source, key in cursor.fetchall())
    missing = {(row.source, row.idempotency_key) for row in rows} - set(found)
    if missing:  # redeliveries: the rows are there already
        found.update(_ids_of(missing))
    return found


def _sqlite(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value


def _ids_of(keys: set[Key]) -> dict[Key, int]:
    found: dict[Key, int] = {}
    for source in {s for s, _ in keys}:
        wanted = [k for s, k in keys if s == source]
        rows = InboxEvent.objects.filter(source=source, idempotency_key__in=wanted)
        found.update({(source, key): pk for key, pk in rows.values_list("idempotency_key", "pk")})
    return found
