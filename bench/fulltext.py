"""Full-text search benchmark: `core.fulltext.ranked()` on 100,000 rows, with a permission filter.

Builds a probe table (title A, body B, a site column the permission filter reads) in its own database,
PostgreSQL on 127.0.0.1 (plantdesk_bench_fulltext, dropped after) or a SQLite file, fills it with text
from a fixed vocabulary (fixed seed; a few words are very common, most rare), and measures queries of one
to three words, the last typed as a prefix, restricted to two of five sites. Target: p95 <= 50 ms.

    .venv/bin/python bench/fulltext.py                 # PostgreSQL
    .venv/bin/python bench/fulltext.py --sqlite        # SQLite
    .venv/bin/python bench/fulltext.py --rows 20000    # a quick small run
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_SERVER, admin_execute

DB = "plantdesk_bench_fulltext"
TABLE = "bench_fulltext_probe"
COMMON = ["printer", "label", "login", "restart", "error", "line", "export", "slow"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-fulltext-"))
    if args.sqlite:
        os.environ["PLANTDESK_DATABASE_URL"] = f"sqlite:///{home / 'bench.sqlite3'}"
    else:
        if not args.keep:
            admin_execute(f"DROP DATABASE IF EXISTS {DB}")
        admin_execute(f"DROP DATABASE IF EXISTS {DB}")
        admin_execute(f"CREATE DATABASE {DB}")
        os.environ["PLANTDESK_DATABASE_URL"] = f"{PG_SERVER}/{DB}"
    os.environ.update(PLANTDESK_HOME=str(home), PLANTDESK_SECRET_KEY="bench-fulltext")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plantdesk.settings")
    import django

    django.setup()
    try:
        run(args.rows, args.queries)
    finally:
        from django.db import connection

        connection.close()
        if not args.sqlite and not args.keep:
            admin_execute(f"DROP DATABASE IF EXISTS {DB}")


def run(rows: int, queries: int) -> None:
    from django.db import connection, models

    from plantdesk.core import fulltext

    class Probe(models.Model):
        title = models.CharField(max_length=200)
        body = models.TextField()
        site = models.IntegerField()

        class Meta:
            app_label = "core"
            managed = False
            db_table = TABLE

        def __str__(self) -> str:
            return self.title

    rng = random.Random(14)
    # Rare words of random letters: their prefixes spread like those of real words.
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = COMMON + ["".join(rng.choices(letters, k=rng.randint(4, 10))) for _ in range(20_000)]
    weights = [400.0] * len(COMMON) + [1.0] * 20_000

    def words(n: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=n))

    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id {key}, title varchar(200), body text, site integer)")
        started = time.perf_counter()
        batch = [(words(6), words(60), rng.randint(1, 5)) for _ in range(rows)]
        cursor.executemany(f"INSERT INTO {TABLE} (title, body, site) VALUES (%s, %s, %s)", batch)

        class Editor:
            def execute(self, sql: str) -> None:
                cursor.execute(sql)

        Editor.connection = connection  # type: ignore[attr-defined]
        for operation in fulltext.fulltext_index_operations(TABLE, {"title": "A", "body": "B"}):
            operation.code(None, Editor())
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
    print(f"{connection.vendor}: {rows} rows loaded and indexed in {time.perf_counter() - started:.1f} s")
    fulltext.register_index(Probe, {"title": "A", "body": "B"})
    within = Probe.objects.filter(site__in=[1, 2])
    samples: list[float] = []
    for _ in range(queries):
        text = words(rng.randint(1, 3))
        text = text[: max(2, len(text) - rng.randint(0, 3))]  # the last word often still being typed
        started = time.perf_counter()
        fulltext.ranked(Probe, text, limit=20, within=within)
        samples.append((time.perf_counter() - started) * 1000)
        if samples[-1] > 50 and os.environ.get("BENCH_VERBOSE"):
            print(f"slow: {text!r} {samples[-1]:.0f} ms")
    samples.sort()
    common = []
    for word in COMMON:
        started = time.perf_counter()
        fulltext.ranked(Probe, word, limit=20, within=within, prefix=False)
        common.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = (samples[int(len(samples) * q) - 1] for q in (0.5, 0.95, 0.99))
    print(f"mixed queries: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms (target p95 <= 50 ms)")
    print(f"most common words alone: max {max(common):.1f} ms")


if __name__ == "__main__":
    main()
