"""Outbox benchmark on PostgreSQL: how fast `plantdesk worker` dispatches a backlog of domain events
(docs/performance.md, "Domain events and the outbox", has the method and figures).

Creates its own database on 127.0.0.1 (default plantdesk_bench_outbox) and migrates it with `plantdesk
migrate`. Each run empties the outbox, generates `--events` domain events with SQL (`--per-record` events
per incident stream, interleaved as real traffic is: the k-th event of every record, then the k+1-th) and
one pending delivery per event to the consumer `testing.<--consumer>`, on the stream and partition that
`core.domain_events.flush_events` would give them (stream "incident:<id>", partition crc32(stream) % 32).
Then it starts N real `plantdesk worker` processes with PLANTDESK_EVENT_CONSUMERS set and polls the database
until no delivery is pending. Each worker count runs `--runs` times; the median is reported.

`--flush-iterations` also times `flush_events` in-process (the outbox's share of an action's transaction):
the two events of an incident create, with no consumer and with one.

    .venv/bin/python bench/outbox.py                                     # noop, 100,000 events, 1 and 2 workers
    .venv/bin/python bench/outbox.py --consumer noop_isolated --events 20000 --flush-iterations 0
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from common import (
    BIN,
    PG_SERVER,
    RESULTS_DIR,
    admin_execute,
    code_state,
    migrate,
    percentile,
    plantdesk_env,
    report_footer,
    run_in_scratch,
    setup_django,
    standard_arguments,
)

PARTITIONS = 32  # core.domain_events.PARTITIONS
EVENT_NAMES = ["incident.created", "incident.assigned", "incident.state_changed", "incident.commented",
               "incident.resolved"]  # fmt: skip
TARGETS = {1: 20.0}  # workers: seconds for 100,000 events (and two workers faster than one)


@dataclass
class Options:
    db: str
    seed: int
    keep: bool
    reuse: bool
    json: bool
    events: int
    per_record: int
    workers: list[int]
    runs: int
    consumer: str
    timeout: float
    flush_iterations: int

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"

    @property
    def consumer_name(self) -> str:
        return f"testing.{self.consumer}"


@dataclass
class Run:
    workers: int
    wall_s: float  # from starting the workers until no delivery is pending
    dispatch_s: float  # from the first delivery seen done until no delivery is pending (no process start-up)
    done: int
    failed: int

    def as_dict(self) -> dict[str, Any]:
        return {"workers": self.workers, "wall_s": self.wall_s, "dispatch_s": self.dispatch_s, "done": self.done,
                "failed": self.failed}  # fmt: skip


@dataclass
class Figures:
    runs: list[Run] = field(default_factory=list)
    flush: dict[str, dict[str, float]] = field(default_factory=dict)


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench_outbox")
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--per-record", type=int, default=5, help="events per incident (records = events / this)")
    p.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    p.add_argument("--runs", type=int, default=3, help="runs per worker count (the median is reported)")
    p.add_argument("--consumer", default="noop", help="a consumer of plantdesk.testing.consumers, e.g. noop_isolated")
    p.add_argument("--timeout", type=float, default=600, help="give up a run after this many seconds")
    p.add_argument("--flush-iterations", type=int, default=2000, help="in-process flush_events timings (0: none)")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum() or not a.consumer.replace("_", "").isalnum():
        p.error("--db and --consumer must be plain identifiers")
    return Options(a.db, a.seed, a.keep, a.reuse, a.json, a.events, a.per_record,
                   [int(w) for w in a.workers.split(",")], a.runs, a.consumer, a.timeout,
                   a.flush_iterations)  # fmt: skip


# ---------------------------------------------------------------------------------------------- the backlog


def generate_backlog(opts: Options) -> float:
    """Empty the outbox and queue `events` events with their pending deliveries; returns the seconds it took."""
    started = time.perf_counter()
    records = max(1, opts.events // opts.per_record)
    names = "ARRAY[" + ",".join(f"'{n}'" for n in EVENT_NAMES) + "]::text[]"
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE core_eventdelivery, core_domainevent RESTART IDENTITY")
        conn.execute("UPDATE core_outboxpartition SET owner = '', lease_until = NULL, claimed_at = NULL")
        with conn.transaction():
            conn.execute(
                f"""
                INSERT INTO core_domainevent (name, record_type, record_id, record_label, actor_id, actor_username,
                                              changes, data, occurred_at)
                SELECT ({names})[1 + (i / {records}) % {len(EVENT_NAMES)}], 'incident', 1 + i % {records},
                       'INC' || lpad((1001 + i % {records})::text, 7, '0'), NULL, 'bench',
                       '{{"state": {{"old": "new", "new": "in_progress"}}}}'::jsonb, '{{}}'::jsonb,
                       now() - interval '1 minute'
                FROM generate_series(0, {opts.events - 1}) AS i ORDER BY i
                """
            )
            conn.execute("CREATE TEMPORARY TABLE bench_partition (record_id bigint PRIMARY KEY, part smallint)")
            rows = io.StringIO(
                "".join(f"{r}\t{zlib.crc32(f'incident:{r}'.encode()) % PARTITIONS}\n" for r in range(1, records + 1))
            )
            with conn.cursor().copy("COPY bench_partition FROM STDIN") as copy:
                copy.write(rows.getvalue())
            conn.execute(
                """
                INSERT INTO core_eventdelivery (event_id, consumer, stream, partition, state, attempts, available_at,
                                                last_error, done_at)
                SELECT e.id, %s, 'incident:' || e.record_id, p.part, 'pending', 0, now() - interval '1 minute', '',
                       NULL
                FROM core_domainevent e JOIN bench_partition p ON p.record_id = e.record_id ORDER BY e.id
                """,
                [opts.consumer_name],
            )
            conn.execute("DROP TABLE bench_partition")
        conn.execute("VACUUM ANALYZE core_domainevent")
        conn.execute("VACUUM ANALYZE core_eventdelivery")
    return round(time.perf_counter() - started, 1)


def _scalar(conn: psycopg.Connection[Any], sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return row[0] if row else None


def dispatch_run(opts: Options, env: dict[str, str], workers: int) -> Run:
    """Start `workers` worker processes on the queued backlog; poll until nothing is pending."""
    env = {**env, "PLANTDESK_EVENT_CONSUMERS": f"plantdesk.testing.consumers:{opts.consumer}"}
    logs = [tempfile.TemporaryFile() for _ in range(workers)]  # noqa: SIM115 - closed below
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        started = time.perf_counter()
        processes = [
            subprocess.Popen([str(BIN / "plantdesk"), "worker"], env=env, stdout=log, stderr=log) for log in logs
        ]
        first_done = finished = None
        try:
            deadline = time.monotonic() + opts.timeout
            while time.monotonic() < deadline:
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError("a worker exited early")
                if first_done is None and _scalar(conn, "SELECT EXISTS (SELECT 1 FROM core_eventdelivery "
                                                        "WHERE state = 'done')"):  # fmt: skip
                    first_done = time.perf_counter()
                if not _scalar(conn, "SELECT EXISTS (SELECT 1 FROM core_eventdelivery WHERE state = 'pending')"):
                    finished = time.perf_counter()
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError(f"deliveries still pending after {opts.timeout} s")
        finally:
            for p in processes:
                p.send_signal(signal.SIGTERM)
            for p, log in zip(processes, logs, strict=True):
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                log.seek(0)
                errors = [line for line in log.read().decode().splitlines() if "Error" in line or "lost" in line]
                if errors:
                    print(f"  worker log: {errors[:3]}")
                log.close()
        counts = dict(conn.execute("SELECT state, count(*) FROM core_eventdelivery GROUP BY state").fetchall())
    assert first_done is not None and finished is not None
    return Run(workers, round(finished - started, 2), round(finished - first_done, 2), counts.get("done", 0),
               counts.get("failed", 0))  # fmt: skip


# ---------------------------------------------------------------------------------------------- in-process


def measure_flush(opts: Options) -> dict[str, dict[str, float]]:
    """`flush_events` for the two events of an incident create, each in a transaction of its own (the timing
    is the flush only, not the commit): with no consumer, then with one batched consumer subscribed to all."""
    from django.db import transaction
    from django.utils import timezone

    from plantdesk.accounts.actions import get_system_user
    from plantdesk.core.action_buffer import PendingEvent
    from plantdesk.core.domain_events import flush_events, register_consumer, unregister_consumer

    actor = get_system_user()

    def pending(i: int) -> list[PendingEvent]:
        label = f"INC{9_000_000 + i:07d}"
        created = {"state": {"old": "", "new": "new"}, "priority": {"old": "", "new": "3"}}
        return [PendingEvent("incident.created", "incident", 9_000_000 + i, label, actor, created, {}),
                PendingEvent("incident.assigned", "incident", 9_000_000 + i, label, actor,
                             {"assignment_group": {"old": "", "new": "Service Desk"}}, {})]  # fmt: skip

    def timings() -> list[float]:
        samples = []
        for i in range(opts.flush_iterations):
            events = pending(i)
            with transaction.atomic():
                start = time.perf_counter()
                flush_events(events, timezone.now())
                samples.append((time.perf_counter() - start) * 1000)
        return sorted(samples[50:])  # the first ones warm up plans and caches

    def stats(s: list[float]) -> dict[str, float]:
        return {"n": len(s), "median_ms": percentile(s, 0.5), "p95_ms": percentile(s, 0.95),
                "p99_ms": percentile(s, 0.99)}  # fmt: skip

    figures = {"no consumer": stats(timings())}
    register_consumer("bench.flush", events=["*"], handle=lambda event: None, isolated=False)
    try:
        figures["one consumer"] = stats(timings())
    finally:
        unregister_consumer("bench.flush")
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        conn.execute("TRUNCATE core_eventdelivery, core_domainevent RESTART IDENTITY")
    return figures


# ---------------------------------------------------------------------------------------------- report


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def summary(opts: Options, figures: Figures) -> dict[int, dict[str, float]]:
    out = {}
    for workers in opts.workers:
        runs = [r for r in figures.runs if r.workers == workers]
        dispatch = _median([r.dispatch_s for r in runs])
        out[workers] = {"runs": len(runs), "wall_s": _median([r.wall_s for r in runs]), "dispatch_s": dispatch,
                        "events_per_s": round(opts.events / dispatch) if dispatch else 0.0}  # fmt: skip
    return out


def print_report(opts: Options, figures: Figures) -> None:
    if figures.flush:
        print(f"\n{'flush_events, 2 events (in-process)':<40} {'n':>6} {'median':>8} {'p95':>8} {'p99':>8}")
        for label, s in figures.flush.items():
            print(f"{label:<40} {s['n']:>6} {s['median_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8}")
    print(f"\ndispatch of {opts.events} events to {opts.consumer_name} ({opts.per_record} per record)")
    print(f"{'workers':>7} {'runs':>5} {'wall s':>8} {'dispatch s':>11} {'events/s':>9}  every run (wall/dispatch s)")
    for workers, s in summary(opts, figures).items():
        each = ", ".join(f"{r.wall_s}/{r.dispatch_s}" for r in figures.runs if r.workers == workers)
        print(f"{workers:>7} {s['runs']:>5} {s['wall_s']:>8} {s['dispatch_s']:>11} {s['events_per_s']:>9}  {each}")


def write_json(opts: Options, figures: Figures, setup: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"outbox-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "events": opts.events, "per_record": opts.per_record, "consumer": opts.consumer_name,
           "setup": setup, "load_average": os.getloadavg(), "flush": figures.flush,
           "runs": [r.as_dict() for r in figures.runs], "summary": summary(opts, figures)}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2))
    return path


def run(opts: Options, home: Path) -> None:
    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}
    if not opts.reuse:
        admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{opts.db}"')
    migrate(env)
    setup_django(env)
    figures = Figures()
    if opts.flush_iterations:
        figures.flush = measure_flush(opts)
    from django.db import connection

    connection.close()
    for _ in range(opts.runs):
        for workers in opts.workers:  # alternating, so that a slow spell of the machine hits both counts
            generated = generate_backlog(opts)
            result = dispatch_run(opts, env, workers)
            figures.runs.append(result)
            print(f"  {workers} worker(s): backlog generated in {generated} s, dispatched: wall {result.wall_s} s, "
                  f"from the first delivery {result.dispatch_s} s ({result.done} done, {result.failed} failed); "
                  f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
            if result.done != opts.events:
                raise RuntimeError(f"{result.done} of {opts.events} deliveries done")
    print_report(opts, figures)
    report_footer(setup["code"], write_json(opts, figures, setup) if opts.json else None)


def main() -> None:
    run_in_scratch(run, parse_args())


if __name__ == "__main__":
    main()
