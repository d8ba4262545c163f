"""Plumbing shared by the benchmarks: the local PostgreSQL server, the `plantdesk` CLI, Django set-up,
percentiles and which code was measured. Only 127.0.0.1 is ever used."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"  # only ever the local server
BIN = Path(sys.executable).parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def admin_execute(sql: str) -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def plantdesk_env(db: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(PLANTDESK_DATABASE_URL=f"{PG_SERVER}/{db}", PLANTDESK_HOME=str(home), PLANTDESK_SECRET_KEY="bench-" + db)
    return env


def cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "plantdesk"), *args], env=env, capture_output=True, text=True, timeout=timeout)


def migrate(env: dict[str, str]) -> None:
    done = cli(env, "migrate", "--noinput", "-v0")
    if done.returncode != 0:
        raise RuntimeError(f"plantdesk migrate failed:\n{done.stderr}")


def setup_django(env: dict[str, str]) -> None:
    os.environ.update({k: v for k, v in env.items() if k.startswith("PLANTDESK_")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "plantdesk.settings"
    import django

    django.setup()


def percentile(sorted_samples: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted samples."""
    if not sorted_samples:
        return float("nan")
    return round(sorted_samples[max(0, math.ceil(q * len(sorted_samples)) - 1)], 2)


@contextmanager
def timed(into: dict[str, Any], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into[key] = round(time.perf_counter() - start, 1)


def code_state() -> str:
    """Which code was measured: the commit, and the tracked files changed on top of it."""
    root = Path(__file__).resolve().parent.parent
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    dirty = subprocess.run(["git", "diff", "--name-only", "HEAD"], cwd=root, capture_output=True, text=True)
    changed = dirty.stdout.split()
    return head.stdout.strip() + (f" + uncommitted changes in {', '.join(changed)}" if changed else "")


def run_in_scratch(run: Any, opts: Any) -> None:
    """Run a benchmark with a throwaway PLANTDESK_HOME; drop its database afterwards unless --keep."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="plantdesk-bench-") as home:
        try:
            run(opts, Path(home))
        finally:
            if not opts.keep:
                admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
                print(f"dropped database {opts.db}")


def report_footer(code: str, written: Path | None) -> None:
    """The lines every benchmark ends with: which code was measured, how loaded the machine was."""
    print(f"code measured: {code}")
    print(f"load average after the run: {os.getloadavg()}")
    if written is not None:
        print(f"written: {written}")


def standard_arguments(parser: Any, database: str) -> None:
    """The options every benchmark has: its database, seed, keeping and reusing data, JSON output."""
    parser.add_argument("--db", default=database, help="database name on 127.0.0.1 (created and dropped)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--keep", action="store_true", help="keep the database for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure on a database kept by an earlier --keep run")
    parser.add_argument("--json", action="store_true", help="also write the figures to bench/results/")
