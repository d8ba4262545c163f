"""Setting a few columns on many alerts in one statement: the processor's hot path (a batch of repeats is
thousands of rows). PostgreSQL gets one UPDATE ... FROM unnest(arrays); SQLite, which has no arrays, an
executemany (cheap there: no round trips)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import attrgetter
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def bulk_set(objects: Sequence[Model], names: Sequence[str]) -> None:
    if not objects:
        return
    model = type(objects[0])
    fields: list[Field[Any, Any]] = [model._meta.get_field(name) for name in names]  # type: ignore[misc]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [connection.ops.quote_name(str(f.column)) for f in fields]
    if connection.vendor == "postgresql":  # psycopg adapts datetimes, numbers and text; the casts give types
        read = attrgetter(*(f.attname for f in fields))
        rows = [[obj.pk, *(read(obj) if len(fields) > 1 else (read(obj),))] for obj in objects]
    else:
        rows = [[obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)] for obj in objects]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one array per column: the statement stays small whatever the rows
            arrays = ", ".join(f"%s::{_array_type(f)}" for f in fields)
            assignments = ", ".join(f"{c} = v.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM unnest(%s::bigint[], {arrays}) "  # noqa: S608
                f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        else:
            assignments = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 (names from the model)
                [[*row[1:], row[0]] for row in rows],
            )


def _array_type(field: Field[Any, Any]) -> str:
    base = str(field.db_type(connection))
    return "text[]" if base.startswith("varchar") else f"{base}[]"


def where_in(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """`column IN values` as SQL for .extra(): one array parameter on PostgreSQL (thousands of placeholders
    cost psycopg more to send than the query costs to run), placeholders elsewhere."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values)) or 'NULL'})", values
