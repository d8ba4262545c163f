"""Ranked full-text search: one API, kept by the database itself on PostgreSQL and on SQLite.

PostgreSQL: a generated, stored `tsvector` column `search_vector` (each text column weighted A..D) with a
GIN index; queries are `websearch_to_tsquery` ranked with `ts_rank_cd`. SQLite: an FTS5 external-content
table `<table>_fts` kept by insert/update/delete triggers, ranked with `bm25()` using the same weights.

The text search configuration is 'english', not 'simple': articles and known errors are English prose
that people search in other word forms ("printer labels" finds "label printer", "restarting" finds
"restart"), and its stop words keep "the" and "is" from matching every row. Plant names survive it:
the parser keeps hyphenated names (BER-L3) whole besides their parts, so "BER-L3" and "L3" both match.
SQLite's `porter unicode61` tokenizer is the same idea (English stemming, Unicode case folding); its
prefix indexes of 2 to 4 characters keep a word being typed from merging the lists of every term.

Speed on large tables: a common word can match most rows, and ranking means reading every match's
vector. So only the newest `candidates` matches (inside `within`, the caller's permission scope) are
ranked: the index finds the matches, the ranking reads a bounded number of them.

Schema changes: on PostgreSQL a column used by the generated column cannot change its type (drop and
re-create the index with these operations around such a migration); on SQLite a migration that rebuilds
the table drops its triggers (re-create them the same way).

User text is never query syntax on SQLite: it is split into word tokens, each quoted as an FTS5 string.
On PostgreSQL `websearch_to_tsquery` accepts any text ("quoted phrases", `or`, `-word`) without error.
The last word is matched as a prefix while it is being typed (text not ending in a space), for
suggest-as-you-type.
"""

# ruff: noqa: S608, S611 - the SQL is built from checked identifiers (_checked) and binds every value
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, migrations, transaction
from django.db.models import BooleanField, FloatField, Model, QuerySet
from django.db.models.expressions import RawSQL

VECTOR_COLUMN = "search_vector"
CONFIG = "english"
# ts_rank_cd's default weights of D, C, B, A are 0.1, 0.2, 0.4, 1.0; bm25() gets the same proportions.
WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
DEFAULT_CANDIDATES = 500
SCANNED_WINDOWS = 1  # PostgreSQL: the newest id windows tested row by row, not through the index
MAX_QUERY_LENGTH = 400  # longer text is cut: a query is a few words, not a document

_WORD = re.compile(r"\w+", re.UNICODE)
_TRAILING_WORD = re.compile(r"(\w+)$", re.UNICODE)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")

_registry: dict[str, dict[str, str]] = {}


@dataclass(frozen=True)
class Hit:
    id: int
    score: float  # higher is better, on both engines (not comparable between engines)


def register_index(model: type[Model], columns: Mapping[str, str]) -> None:
    """Tell the query side which columns a model's index holds and with what weight (the migration made it)."""
    _registry[model._meta.db_table] = _checked(model._meta.db_table, columns)


def fts_table(table: str) -> str:
    return f"{table}_fts"


def _checked(table: str, columns: Mapping[str, str]) -> dict[str, str]:
    for name in (table, *columns):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a plain SQL identifier")
    bad = [w for w in columns.values() if w not in WEIGHTS]
    if bad or not columns:
        raise ValueError(f"weights are A, B, C or D; got {bad or 'no columns'}")
    return dict(columns)


# --- migration operations ---------------------------------------------------------------------------


def fulltext_index_operations(table: str, columns: Mapping[str, str], pk: str = "id") -> list[migrations.RunPython]:
    """Operations creating (and on reverse dropping) the index of `table` over `columns` (name -> weight)."""
    _checked(table, {**columns, pk: "A"})
    columns = dict(columns)

    def forward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        statements = _postgresql_create(table, columns) if vendor == "postgresql" else []
        if vendor == "sqlite":
            statements = _sqlite_create(table, columns, pk)
        for sql in statements:
            schema_editor.execute(sql)

    def backward(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {VECTOR_COLUMN}")
        elif vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts_table(table)}")

    return [migrations.RunPython(forward, backward)]


def fulltext_after_table_rebuild(table: str, columns: Mapping[str, str], pk: str = "id") -> list[migrations.RunPython]:
    """After a migration that rebuilds `table` on SQLite (Django does for most column changes there), its
    index triggers are gone: re-create them and re-read the rows. Nothing to do on PostgreSQL."""
    _checked(table, {**columns, pk: "A"})
    columns = dict(columns)

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        for suffix in ("ai", "ad", "au"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{suffix}")
        for sql in _sqlite_create(table, columns, pk)[1:]:  # the FTS table itself survives
            schema_editor.execute(sql)

    return [migrations.RunPython(forward, migrations.RunPython.noop)]


def _postgresql_create(table: str, columns: Mapping[str, str]) -> list[str]:
    parts = " || ".join(
        f"setweight(to_tsvector('{CONFIG}', coalesce({name}, '')), '{weight}')" for name, weight in columns.items()
    )
    return [
        f"ALTER TABLE {table} ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ({parts}) STORED",
        f"CREATE INDEX {table}_search_idx ON {table} USING gin ({VECTOR_COLUMN})",
        *_postgresql_narrow_rows(table),
    ]


def _postgresql_narrow_rows(table: str) -> list[str]:
    """Long text out of the row, the vector kept in it (compressed): a search reads thousands of rows and
    ranks hundreds, and a row of a few hundred bytes is a tenth of the pages of one holding a document.
    Applies to rows written from then on (VACUUM FULL rewrites the others)."""
    return [
        f"ALTER TABLE {table} ALTER COLUMN {VECTOR_COLUMN} SET STORAGE MAIN",
        f"ALTER TABLE {table} SET (toast_tuple_target = 128)",
    ]


def fulltext_narrow_rows_operations(table: str) -> list[migrations.RunPython]:
    """`_postgresql_narrow_rows` for an index made before it was part of `fulltext_index_operations`."""
    _checked(table, {"id": "A"})
    return [_postgresql_only([*_postgresql_narrow_rows(table)], [])]


def fulltext_partial_index_operations(table: str, column: str) -> list[migrations.RunPython]:
    """A second GIN index over the rows where boolean `column` holds: a search that always filters on it
    (one audience's rows) merges only those rows' posting lists. PostgreSQL only (FTS5 has no such thing)."""
    _checked(table, {column: "A"})
    name = f"{table}_{column}_search_idx"
    create = f"CREATE INDEX {name} ON {table} USING gin ({VECTOR_COLUMN}) WHERE {column}"
    return [_postgresql_only([create], [f"DROP INDEX IF EXISTS {name}"])]


def _postgresql_only(forward_sql: list[str], backward_sql: list[str]) -> migrations.RunPython:
    def run(statements: list[str]) -> Any:
        def apply(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor == "postgresql":
                for sql in statements:
                    schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward_sql), run(backward_sql))


def _sqlite_create(table: str, columns: Mapping[str, str], pk: str) -> list[str]:
    fts = fts_table(table)
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{c}" for c in columns)
    old_values = ", ".join(f"old.{c}" for c in columns)
    delete_old = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.{pk}, {old_values});"
    insert_new = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.{pk}, {new_values});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='{pk}', prefix='2 3 4', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN {insert_new} END",
        f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN {delete_old} END",
        f"CREATE TRIGGER {table}_fts_au AFTER UPDATE OF {names} ON {table} BEGIN {delete_old} {insert_new} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # rows that existed before the index
    ]


# --- queries ----------------------------------------------------------------------------------------


def has_words(text: str) -> bool:
    """Whether `text` has anything to search for (else `ranked` finds nothing)."""
    return bool(_WORD.search(text[:MAX_QUERY_LENGTH]))


def ranked(
    model: type[Model],
    text: str,
    *,
    limit: int,
    within: QuerySet[Any] | None = None,
    prefix: bool = True,
    candidates: int = DEFAULT_CANDIDATES,
    any_word: bool = False,
) -> list[Hit]:
    """The rows of `model` matching `text`, best first, at most `limit`, only those in `within` if given.
    Every word must match, or with `any_word` at least one (suggestions for a whole sentence such as an
    incident's short description, where the rows that share the most words rank first).

    Text without any word finds nothing (an empty list), never an error."""
    table = model._meta.db_table
    if table not in _registry:
        raise LookupError(f"{table} has no full-text index registered (fulltext.register_index)")
    text = text[:MAX_QUERY_LENGTH].replace("\x00", " ")  # PostgreSQL refuses NUL in any text
    if not _WORD.search(text) or limit <= 0:
        return []
    if within is not None and within.model is not model:
        raise ValueError("`within` must be a queryset of the searched model")
    candidates = max(candidates, limit)  # never fewer candidates than results asked for
    if any_word:
        text, prefix = _any_of(text), False
    if connection.vendor == "postgresql":
        return _postgresql_ranked(model, text, prefix, within, limit, candidates)
    within_sql, within_params = "", ()
    if within is not None:
        try:
            inner, within_params = within.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # e.g. `.none()`, or a scope that can match nothing
            return []
        within_sql = f" IN ({inner})"
    scope: tuple[str, list[Any]] = (within_sql, list(within_params))
    if connection.vendor == "sqlite":
        return _sqlite_ranked(table, text, prefix, scope, limit, candidates)
    raise NotImplementedError(connection.vendor)  # pragma: no cover - the project runs on these two


def ranked_ids(
    model: type[Model],
    text: str,
    *,
    limit: int,
    within: QuerySet[Any] | None = None,
    prefix: bool = True,
    any_word: bool = False,
) -> list[int]:
    return [hit.id for hit in ranked(model, text, limit=limit, within=within, prefix=prefix, any_word=any_word)]


def _any_of(text: str) -> str:
    """The words of `text` joined by `or`: websearch syntax on PostgreSQL; `sqlite_match` reads `or` as OR."""
    return " or ".join(_WORD.findall(text))


def _split_prefix(text: str, prefix: bool) -> tuple[str, str]:
    """(the text before the word being typed, that word) - the word is empty when not typing one."""
    match = _TRAILING_WORD.search(text) if prefix else None
    if match is None:
        return text, ""
    return text[: match.start()], match.group(1)


def _id_windows(top: int, candidates: int) -> list[tuple[int, int]]:
    """(lo, hi] ranges of ids from the newest down, each four times the last; the last one reaches id 0."""
    windows, hi, span = [], top, candidates * 4
    while hi > 0:
        lo = max(hi - span, 0)
        windows.append((lo, hi))
        hi, span = lo, span * 4
    return windows


def _postgresql_ranked(
    model: type[Model], text: str, prefix: bool, within: QuerySet[Any] | None, limit: int, candidates: int
) -> list[Hit]:
    """Rank the newest `candidates` matches, collected id window by id window in one statement.

    A single `ORDER BY id DESC LIMIT` is fast only when the planner guesses the number of matches well;
    it cannot for prefixes or for two words that often occur together, and a bitmap scan of a word in a
    third of the rows reads a third of the table. Windows of ids, growing fourfold, each a branch of one
    `UNION ALL` under the `LIMIT`: PostgreSQL runs a branch only while the limit is not reached, so a
    common word reads about as many rows as it collects and a rare word costs a few index look-ups, in
    one round trip. The scope's own conditions join each branch (callers keep them to columns of the
    searched table: a join per candidate row is what makes a search slow). Parallel workers are off for
    the statement: starting them costs more than such a scan on a busy server."""
    table = model._meta.db_table
    head, typing = _split_prefix(text, prefix)
    query, params = f"websearch_to_tsquery('{CONFIG}', %s)", [head if typing else text]
    if typing:
        # The word being typed is one \w+ token: as a `to_tsquery` operand it cannot be an operator.
        query = f"({query} && to_tsquery('{CONFIG}', %s))"
        params.append(f"{typing}:*")
    vector = f'"{table}".{VECTOR_COLUMN}'
    score = RawSQL(f"ts_rank_cd({vector}, {query})", params, output_field=FloatField())
    scope = within if within is not None else model._default_manager.all()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max(id) FROM {table}")
        top = cursor.fetchone()[0]
    windows = _id_windows(int(top or 0), candidates)
    if not windows:
        return []
    forms: list[tuple[str, list[Any]]] = []
    try:  # each form compiled once: a window is the same query over its own id range
        # The newest windows are read row by row: a common word (or a prefix such as "mes", which also
        # matches "message") has posting lists of most of the table, slower to merge than reading a few
        # thousand narrow rows. That expression is not the index's, so the planner cannot use the index.
        for tested in (f"coalesce({vector}, '')", vector):
            matches = RawSQL(f"{tested} @@ {query}", params, output_field=BooleanField())
            form = scope.filter(matches).annotate(score=score).order_by().values_list("pk", "score")
            sql, values = form.query.sql_with_params()
            forms.append((f"(SELECT * FROM ({sql}) AS w (id, score) WHERE w.id > %s AND w.id <= %s "
                          "ORDER BY w.id DESC)", list(values)))  # fmt: skip
    except EmptyResultSet:  # e.g. `.none()`, or a scope that can match nothing
        return []
    branches, branch_params = [], []
    for number, (lo, hi) in enumerate(windows):
        branch, values = forms[0 if number < SCANNED_WINDOWS else 1]
        branches.append(branch)
        branch_params.extend([*values, lo, hi])
    sql = f"SELECT * FROM ({' UNION ALL '.join(branches)} LIMIT %s) AS collected ORDER BY 2 DESC, 1 DESC LIMIT %s"
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(sql, [*branch_params, candidates, limit])
        rows = cursor.fetchall()
        cursor.execute("SET LOCAL max_parallel_workers_per_gather TO DEFAULT")
    return [Hit(int(row[0]), float(row[1])) for row in rows]


def sqlite_match(text: str, prefix: bool = True) -> str:
    """An FTS5 MATCH expression of `text`'s words, all required, each a quoted string (no syntax); words
    joined by `or` (as `_any_of` writes them, and as PostgreSQL's websearch syntax reads them) are alternatives."""
    words = _WORD.findall(text)
    typing = prefix and _TRAILING_WORD.search(text) is not None
    if len(words) > 1 and all(w.lower() == "or" for w in words[1::2]):  # `_any_of`: any of the words
        return " OR ".join(f'"{word}"' for word in words[::2])
    terms = [f'"{word}"' for word in words]
    if typing and terms:
        terms[-1] += "*"
    return " ".join(terms)


def _sqlite_ranked(
    table: str, text: str, prefix: bool, within: tuple[str, list[Any]], limit: int, candidates: int
) -> list[Hit]:
    """Rank the matches from the `candidates`-th newest on: FTS5 walks its index newest first cheaply,
    and a rowid range is a constraint it applies itself. The permission filter joins the content table
    (an `IN` on the virtual table's rowid would re-run the match per value)."""
    fts = fts_table(table)
    weights = ", ".join(str(WEIGHTS[w] * 10) for w in _registry[table].values())
    within_sql, within_params = within
    scope = f" AND t.id{within_sql}" if within_sql else ""
    match = sqlite_match(text, prefix)
    # FTS5 knows its table by name only (no alias); the subquery's name shadows the outer one's.
    matches = f"FROM {fts} JOIN {table} t ON t.id = {fts}.rowid WHERE {fts} MATCH %s{scope}"
    sql = (
        f"SELECT {fts}.rowid, -bm25({fts}, {weights}) AS score {matches} AND {fts}.rowid >= coalesce(("
        f"SELECT {fts}.rowid {matches} ORDER BY {fts}.rowid DESC LIMIT 1 OFFSET %s), 0) "
        f"ORDER BY score DESC, {fts}.rowid DESC LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *within_params, match, *within_params, candidates - 1, limit])
        return [Hit(int(row[0]), float(row[1])) for row in cursor.fetchall()]
