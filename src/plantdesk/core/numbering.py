"""Human record numbers (INC0001001, ...): gap-free per prefix, safe under concurrent writers.

`UPDATE ... RETURNING` takes the counter row's lock inside the caller's transaction, so two
transactions can never receive the same value (PostgreSQL row lock; SQLite's write lock, which
`transaction_mode=IMMEDIATE` takes at BEGIN). A rolled-back transaction returns its value.
"""

from __future__ import annotations

from django.db import connection, transaction

from plantdesk.core.models import NumberCounter

NUMBER_WIDTH = 7
FIRST_VALUE = 1001


def next_number(prefix: str) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the action's transaction")
    table = NumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + 1 WHERE prefix = %s RETURNING last_value",  # noqa: S608
            [prefix],
        )
        row = cursor.fetchone()
    if row is None:
        # First number of a new prefix: create the counter, then take a number through the locked path.
        NumberCounter.objects.get_or_create(prefix=prefix, defaults={"last_value": FIRST_VALUE - 1})
        return next_number(prefix)
    return format_number(prefix, int(row[0]))


def next_numbers(prefix: str, count: int) -> list[str]:
    """`count` consecutive numbers in one statement (a batch of records created together), in order; the
    counter row stays locked until the caller's transaction ends, as with `next_number`."""
    if count <= 0:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_numbers() must run inside the action's transaction")
    table = NumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_value = last_value + %s WHERE prefix = %s RETURNING last_value",  # noqa: S608
            [count, prefix],
        )
        row = cursor.fetchone()
    if row is None:
        NumberCounter.objects.get_or_create(prefix=prefix, defaults={"last_value": FIRST_VALUE - 1})
        return next_numbers(prefix, count)
    last = int(row[0])
    return [format_number(prefix, value) for value in range(last - count + 1, last + 1)]


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:0{NUMBER_WIDTH}d}"
