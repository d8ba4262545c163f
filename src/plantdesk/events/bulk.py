"""Setting a few columns on many alerts in one statement: the processor's hot path (a batch of repeats is
thousands of rows). PostgreSQL gets one UPDATE ... FROM unnest(arrays); SQLite, which has no arrays, an
executemany (cheap there: no round trips)."""

from __future__ import annotations

from collections.abc import Sequence
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
    rows = [[obj.pk, *(_value(f, obj) for f in fields)] for obj in objects]
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


def _value(field: Field[Any, Any], obj: Model) -> Any:
    value = getattr(obj, field.attname)
    if connection.vendor == "postgresql":
        return value  # psycopg adapts datetimes, numbers and text itself; the casts give the types
    return field.get_db_prep_save(value, connection)
