"""Change conflict detection benchmark on PostgreSQL: one change against 100,000 scheduled changes and 10,000
windows over a 1,000,000-CI CMDB. Target (issue 6): <= 200 ms p95 per change.

Creates its own database on 127.0.0.1 (default plantdesk_bench_changes), migrates it with `plantdesk migrate`,
generates the CMDB with bench/cmdb.py's generator (same shape and seed: lines contain cells contain PLCs,
applications on VMs on server clusters, hub switches and databases), then in SQL / COPY (fixed seed):

- sites: 25 `Site` rows; every line, its cells and their PLCs share a site, 90 % of the other CIs have one;
- 500 engineers (users with no usable password);
- changes (100,000 at 1M CIs; --changes): planned over 120 days from 2026-03-02 (across the 2026 DST changes),
  1-8 hours (5 % 1-3 days), 85 % in an active state (new .. implement), 10 % closed, 5 % canceled, 70 % with
  an assignee; 1-3 CIs each (ChangeCI with the copies of the interval and `active`): 40 % PLCs of one cell,
  10 % a line and cells of it, 25 % applications, 15 % VMs, 7 % servers, 3 % databases. Choices are skewed
  towards low ids (index = floor(r^2 * n)), so some lines and applications are changed often and overlap;
- windows (10,000 at 1M CIs; --windows): 30 % maintenance on line CIs, weekly Saturday or Sunday nights in
  Europe/Berlin (RRULE, 70 % without end), 10 % monthly IT patch windows (2nd Tuesday 20:00-24:00 Berlin) on
  servers and VMs, 18 % one-off blackouts (validation runs, campaigns) on lines and applications (10 % of
  them a yearly year-end freeze), 40 % production runs on lines and cells (planned 40 %, running 10 %, held
  5 %, completed 40 %, canceled 5 %), 1.5 % scoped to sites (audit blackouts, monthly site maintenance on 3
  sites), 0.2 % to CI classes (a weekly VM patch window, PLC / HMI firmware freezes).

Measured: `conflicts_of(change)` (its CIs read, then `find_conflicts` with the default depth) for random
active changes, each loaded beforehand: median, p95, p99, max, and what was found (conflicts per kind, share
of changes with any), queries per check, CIs the related-CI walk reached. Then (no target) the first 300 of
the same changes one relationship level deeper than PLANTDESK_CHANGE_CONFLICT_DEPTH (default 1), and proposed
changes on the hub CIs (4 core switches, 3 shared databases), where the walk stops at RELATED_LIMIT CIs.

    .venv/bin/python bench/changes.py                  # generate, measure, drop
    .venv/bin/python bench/changes.py --keep --json    # keep the database, write bench/results/*.json
    .venv/bin/python bench/changes.py --reuse --keep   # measure again on the kept database
    .venv/bin/python bench/changes.py --cis 20000      # a quick small run (changes and windows scale along)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from cmdb import CELLS_PER_LINE, HUB_DBS, PLCS_PER_CELL, Layout, hub_ids
from cmdb import generate as generate_cmdb
from common import (
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
    timed,
)

TARGET_P95_MS = 200.0
T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; the 120-day horizon spans the 2026-03-29 DST change
HORIZON_DAYS = 120
BERLIN = ZoneInfo("Europe/Berlin")
SITES = 25
ENGINEERS = 500
ACTIVE = ("new", "assess", "authorize", "scheduled", "implement")  # = choices.ACTIVE_STATES, read as SQL here
ZONES = ["Europe/Berlin", "Europe/Berlin", "Europe/Berlin", "Europe/Paris", "Europe/London", "America/Chicago",
         "Asia/Singapore"]  # fmt: skip


@dataclass
class Options:
    db: str
    cis: int
    changes: int
    windows: int
    seed: int
    keep: bool
    reuse: bool
    json: bool
    samples: int
    deeper_samples: int
    explain: bool

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"


@dataclass
class Result:
    name: str
    samples_ms: list[float]
    target: str
    met: bool | None
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        s = sorted(self.samples_ms)
        return {"n": len(s), "median": percentile(s, 0.5), "p95": percentile(s, 0.95), "p99": percentile(s, 0.99),
                "max": percentile(s, 1.0), "target": self.target, "met": self.met, **self.extra}  # fmt: skip


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench_changes")
    p.add_argument("--cis", type=int, default=1_000_000, help="number of CIs (changes and windows scale with it)")
    p.add_argument("--changes", type=int, help="scheduled changes (default 100,000 per 1M CIs)")
    p.add_argument("--windows", type=int, help="windows (default 10,000 per 1M CIs)")
    p.add_argument("--samples", type=int, default=1000, help="random changes checked (bounded to 180 s)")
    p.add_argument(
        "--deeper-samples",
        type=int,
        default=300,
        help="random changes checked again one relationship level deeper than configured (0: skip)",
    )
    p.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of one check's queries")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    if a.cis < 10_000:
        p.error("--cis must be at least 10000")
    scale = a.cis / 1_000_000
    changes = a.changes if a.changes is not None else max(1000, round(100_000 * scale))
    windows = a.windows if a.windows is not None else max(500, round(10_000 * scale))
    return Options(a.db, a.cis, changes, windows, a.seed, a.keep, a.reuse, a.json, a.samples, a.deeper_samples,
                   a.explain)  # fmt: skip


# ---------------------------------------------------------------------------------------------- set-up


def insert_select(conn: psycopg.Connection[Any], model: Any, values: dict[str, str], source: str) -> int:
    """INSERT INTO the model's table SELECT ... FROM (`source`) AS s: the columns in `values` get those SQL
    expressions, every other NOT NULL column its model default or a neutral value of its type, so a field
    added to the model later needs no change here."""
    from django.db.models import NOT_PROVIDED, JSONField
    from psycopg.types.json import Jsonb

    neutral = {"DateTimeField": "now()", "DateField": "current_date", "BooleanField": "false"}
    columns, expressions = [], []
    for f in model._meta.concrete_fields:
        if f.column in values:
            expression = values[f.column]
        elif f.primary_key:
            continue
        elif f.default is not NOT_PROVIDED or (f.empty_strings_allowed and not f.null):
            default = f.get_default()
            expression = sql.Literal(Jsonb(default) if isinstance(f, JSONField) else default).as_string(conn)
        elif f.null:
            continue
        elif f.get_internal_type() in neutral:
            expression = neutral[f.get_internal_type()]
        elif "Integer" in f.get_internal_type():
            expression = "0"
        else:
            raise RuntimeError(f"bench/changes.py: give {model.__name__}.{f.name} a value")
        columns.append(f.column)
        expressions.append(expression)
    table = model._meta.db_table
    quoted = ", ".join(f'"{c}"' for c in columns)  # "end" is a keyword
    statement = f'INSERT INTO "{table}" ({quoted}) SELECT {", ".join(expressions)} FROM ({source}) AS s'
    return conn.execute(statement).rowcount


def create_people_and_sites(conn: psycopg.Connection[Any], layout: Layout) -> dict[str, Any]:
    """Sites and engineers; every CI of a line (the line, its cells, their PLCs) on the line's site."""
    from plantdesk.accounts.models import Site, User

    zones = "ARRAY[" + ", ".join(f"'{z}'" for z in ZONES) + "]"
    insert_select(conn, Site, {"code": "'s' || lpad(i::text, 2, '0')", "name": "'Plant ' || i",
                               "time_zone": f"({zones})[1 + i % {len(ZONES)}]"},
                  f"SELECT i FROM generate_series(1, {SITES}) AS i")  # fmt: skip
    insert_select(conn, User, {"username": "'eng' || lpad(i::text, 3, '0')", "password": "'!bench'",
                               "role": "'agent'", "first_name": "'Engineer'", "last_name": "i::text",
                               "is_active": "true", "date_joined": "now()"},
                  f"SELECT i FROM generate_series(1, {ENGINEERS}) AS i")  # fmt: skip
    sites = [r[0] for r in conn.execute("SELECT id FROM accounts_site WHERE code LIKE 's%%' ORDER BY code")]
    users = [r[0] for r in conn.execute("SELECT id FROM accounts_user WHERE username LIKE 'eng%%' ORDER BY id")]
    b, c = layout.base, layout.count
    nl, nc = c["line"], c["cell"]
    line_of = f"""CASE
        WHEN id > {b["line"]} AND id <= {b["line"] + nl} THEN id - {b["line"]} - 1
        WHEN id > {b["cell"]} AND id <= {b["cell"] + nc} THEN ((id - {b["cell"]} - 1) / {CELLS_PER_LINE}) % {nl}
        WHEN id > {b["plc"]} AND id <= {b["plc"] + c["plc"]}
          THEN (((id - {b["plc"]} - 1) / {PLCS_PER_CELL}) % {nc} / {CELLS_PER_LINE}) % {nl}
        END"""
    site_array = "ARRAY[" + ",".join(map(str, sites)) + "]"
    started = time.perf_counter()
    conn.execute(f"""UPDATE cmdb_configurationitem SET site_id = CASE
        WHEN {line_of} IS NOT NULL THEN ({site_array})[1 + ({line_of}) % {SITES}]
        WHEN id % 10 <> 0 THEN ({site_array})[1 + (id / 10) % {SITES}]
        END""")
    return {"sites": sites, "users": users, "ci_sites_s": round(time.perf_counter() - started, 1)}


def create_changes(conn: psycopg.Connection[Any], opts: Options, layout: Layout, users: list[int]) -> dict[str, int]:
    from plantdesk.changes.models import ChangeCI, ChangeRequest

    active = ", ".join(f"'{s}'" for s in ACTIVE)
    quarter_hours = HORIZON_DAYS * 96
    source = f"""
        WITH g AS MATERIALIZED (
          SELECT i, random() AS r_state, random() AS r_who, random() AS r_long, random() AS r_len,
                 timestamptz '{T0.isoformat()}' + floor(random() * {quarter_hours}) * interval '15 minutes' AS ps
          FROM generate_series(1, {opts.changes}) AS i)
        SELECT i, ps, ps + CASE WHEN r_long < 0.05 THEN (1 + floor(r_len * 3)) * interval '1 day'
                                ELSE (1 + floor(r_len * 8)) * interval '1 hour' END AS pe,
               CASE WHEN r_state < 0.10 THEN 'closed' WHEN r_state < 0.15 THEN 'canceled'
                    WHEN r_state < 0.20 THEN 'new' WHEN r_state < 0.30 THEN 'assess'
                    WHEN r_state < 0.40 THEN 'authorize' WHEN r_state < 0.95 THEN 'scheduled'
                    ELSE 'implement' END AS state, r_who
        FROM g"""
    u = users
    insert_select(conn, ChangeRequest, {
        "id": "i", "number": "'CHG' || lpad(i::text, 7, '0')",
        "type": "(ARRAY['normal', 'normal', 'standard', 'emergency'])[1 + i % 4]", "state": "state",
        "short_description": "'Bench change ' || i", "requested_by_id": f"{u[0]} + i % {len(u)}",
        "assignee_id": f"CASE WHEN r_who < 0.7 THEN {u[0]} + floor(r_who / 0.7 * {len(u)})::int END",
        "planned_start": "ps", "planned_end": "pe", "opened_at": f"timestamptz '{T0.isoformat()}' - interval '30 days'",
        "updated_at": "ps - interval '1 day'", "closed_at": "CASE WHEN state IN ('closed', 'canceled') THEN pe END",
    }, source)  # fmt: skip
    conn.execute("SELECT setval(pg_get_serial_sequence('changes_changerequest', 'id'), %s)", [opts.changes])
    b, c = layout.base, layout.count

    def skewed(segment: str, step: int = 1) -> str:
        """The k-th of `step`-sized consecutive CIs starting at a skewed index of the segment."""
        return f"{b[segment]} + (floor(r * r * {max(1, c[segment] // step)})::int * {step} + k) % {c[segment]} + 1"

    line = f"floor(r * r * {c['line']})::int"
    ci = f"""CASE
        WHEN kind < 0.40 THEN {skewed("plc", PLCS_PER_CELL)}
        WHEN kind < 0.50 THEN CASE WHEN k = 0 THEN {b["line"]} + {line} + 1
                                   ELSE {b["cell"]} + ({line} * {CELLS_PER_LINE} + k - 1) % {c["cell"]} + 1 END
        WHEN kind < 0.75 THEN {skewed("app")}
        WHEN kind < 0.90 THEN {skewed("vm")}
        WHEN kind < 0.97 THEN {skewed("srv")}
        ELSE {b["db"]} + {HUB_DBS} + (floor(r * {c["db"] - HUB_DBS})::int + k) % {c["db"] - HUB_DBS} + 1 END"""
    source = f"""
        WITH g AS MATERIALIZED (
          SELECT id, planned_start, planned_end, state IN ({active}) AS active, random() AS kind, random() AS r,
                 1 + floor(random() * 3)::int AS n
          FROM changes_changerequest)
        SELECT id, {ci} AS ci, planned_start, planned_end, active
        FROM g CROSS JOIN LATERAL generate_series(0, n - 1) AS k"""
    links = insert_select(conn, ChangeCI, {"change_id": "id", "ci_id": "ci", "planned_start": "planned_start",
                                           "planned_end": "planned_end", "active": "active"}, source)  # fmt: skip
    return {"changes": opts.changes, "change_cis": links}


@dataclass
class WindowRow:
    id: int
    kind: str
    name: str
    start: datetime
    end: datetime
    rrule: str = ""
    time_zone: str = "UTC"
    run_state: str = ""
    cis: list[int] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    sites: list[int] = field(default_factory=list)


def _local(day: date, hour: int, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def plan_windows(opts: Options, layout: Layout, sites: list[int]) -> list[WindowRow]:
    """The window mix of the module docstring, in Python: recurring windows need their zone's wall clock."""
    rng = random.Random(opts.seed + 6)
    b, c = layout.base, layout.count
    n = opts.windows
    t0 = T0.date()

    def skewed(segment: str) -> int:
        return b[segment] + int(rng.random() ** 2 * c[segment]) + 1

    def in_horizon(days_before: int = 10) -> datetime:
        return T0 + timedelta(minutes=15 * rng.randrange(-days_before * 96, (HORIZON_DAYS + 10) * 96))

    rows: list[WindowRow] = []

    def add(kind: str, name: str, start: datetime, end: datetime, **scope: Any) -> None:
        rows.append(WindowRow(len(rows) + 1, kind, name, start, end, **scope))

    counts = {"line_maint": round(n * 0.30), "it_maint": round(n * 0.10), "blackout": round(n * 0.18),
              "site": max(4, round(n * 0.015)), "class": max(4, round(n * 0.002))}  # fmt: skip
    counts["run"] = n - sum(counts.values())
    for i in range(counts["line_maint"]):
        weekday, hour, hours = rng.choice([(5, 22, 8), (5, 22, 8), (6, 6, 12), (2, 22, 6)])  # Sat, Sun, Wed nights
        first = _next_weekday(t0 - timedelta(days=rng.randrange(0, 365)), weekday)
        end_rule = "" if rng.random() < 0.7 else f";COUNT={rng.randrange(60, 120)}"
        day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][weekday]
        start = _local(first, hour)
        add(
            "maintenance",
            f"Line weekly maintenance {i}",
            start,
            _local(first, hour) + timedelta(hours=hours),
            rrule=f"FREQ=WEEKLY;BYDAY={day}{end_rule}",
            time_zone="Europe/Berlin",
            cis=[skewed("line")],
        )
    for i in range(counts["it_maint"]):
        first = t0 - timedelta(days=rng.randrange(0, 365))
        first = _next_weekday(first.replace(day=8), 1)  # the second Tuesday of that month
        segment = rng.choice(["srv", "vm"])
        cis = sorted({skewed(segment) for _ in range(rng.randint(1, 3))})
        add(
            "maintenance",
            f"IT patch window {i}",
            _local(first, 20),
            _local(first, 20) + timedelta(hours=4),
            rrule="FREQ=MONTHLY;BYDAY=2TU",
            time_zone="Europe/Berlin",
            cis=cis,
        )
    for i in range(counts["blackout"]):
        cis = sorted({skewed("line") if rng.random() < 0.7 else skewed("app") for _ in range(rng.randint(1, 2))})
        if rng.random() < 0.1:
            start = _local(date(2025, 12, 20), 0)
            add(
                "blackout",
                f"Year-end freeze {i}",
                start,
                _local(date(2026, 1, 5), 0),
                rrule="FREQ=YEARLY",
                time_zone="Europe/Berlin",
                cis=cis,
            )
        else:
            start = in_horizon()
            add("blackout", f"Validation run {i}", start, start + timedelta(days=rng.randint(1, 14)), cis=cis)
    for i in range(counts["site"]):
        if i % 5 == 0:
            month = t0.month - 1 - rng.randrange(0, 6)  # the first Saturday of one of the last six months
            first = _next_weekday(date(t0.year + month // 12, month % 12 + 1, 1), 5)
            add(
                "maintenance",
                f"Site maintenance weekend {i}",
                _local(first, 0),
                _local(first, 0) + timedelta(days=1),
                rrule="FREQ=MONTHLY;BYDAY=1SA",
                time_zone="Europe/Berlin",
                sites=[sites[i % 3]],
            )
        else:
            start = in_horizon()
            add("blackout", f"Audit {i}", start, start + timedelta(days=rng.randint(2, 5)), sites=[rng.choice(sites)])
    for i in range(counts["class"]):
        if i == 0:
            start = _local(_next_weekday(t0 - timedelta(days=90), 6), 1, ZoneInfo("UTC"))
            add(
                "maintenance",
                "VM patch Sunday",
                start,
                start + timedelta(hours=4),
                rrule="FREQ=WEEKLY;BYDAY=SU",
                classes=["virtual_machine"],
            )
        else:
            start = in_horizon()
            add(
                "blackout",
                f"Firmware freeze {i}",
                start,
                start + timedelta(days=rng.randint(3, 10)),
                classes=[rng.choice(["plc", "hmi", "plc", "database", "server"])],
            )
    states = ["planned"] * 8 + ["running"] * 2 + ["held"] + ["completed"] * 8 + ["canceled"]
    for i in range(counts["run"]):
        start = in_horizon()
        on_line = rng.random() < 0.6
        ci = skewed("line") if on_line else skewed("cell")
        add(
            "production_run",
            f"Job order {100000 + i}",
            start,
            start + timedelta(hours=rng.randint(8, 120)),
            run_state=rng.choice(states),
            cis=[ci],
        )
    return rows


def create_windows(
    conn: psycopg.Connection[Any], opts: Options, layout: Layout, people: dict[str, Any]
) -> dict[str, int]:
    from plantdesk.changes.models import Window, WindowCI
    from plantdesk.changes.windows import last_end

    rows = plan_windows(opts, layout, people["sites"])
    classes = dict(conn.execute("SELECT name, id FROM cmdb_ciclass").fetchall())
    conn.execute("CREATE TEMP TABLE bench_window (id int, kind text, name text, s timestamptz, e timestamptz, "
                 "rrule text, tz text, last_end timestamptz, run_state text)")  # fmt: skip
    with conn.cursor() as cur, cur.copy("COPY bench_window FROM STDIN") as copy:
        for w in rows:
            copy.write_row([w.id, w.kind, w.name, w.start, w.end, w.rrule, w.time_zone,
                            last_end(w.start, w.end, w.rrule, w.time_zone), w.run_state])  # fmt: skip
    insert_select(conn, Window, {"id": "id", "kind": "kind", "name": "name", "start": "s", "end": "e",
                                 "rrule": "rrule", "time_zone": "tz", "last_end": "last_end",
                                 "run_state": "run_state", "created_by_id": str(people["users"][0])},
                  "SELECT * FROM bench_window")  # fmt: skip
    conn.execute("SELECT setval(pg_get_serial_sequence('changes_window', 'id'), %s)", [len(rows)])
    scopes = {"cis": 0, "classes": 0, "sites": 0}
    tables = [(WindowCI._meta.db_table, "ci_id", "cis", lambda w: w.cis),
              (Window.ci_classes.through._meta.db_table, "ciclass_id", "classes",
               lambda w: [classes[name] for name in w.classes]),
              (Window.sites.through._meta.db_table, "site_id", "sites", lambda w: w.sites)]  # fmt: skip
    for table, column, key, ids in tables:
        with conn.cursor() as cur, cur.copy(f'COPY "{table}" (window_id, {column}) FROM STDIN') as copy:
            for w in rows:
                for scope_id in ids(w):
                    copy.write_row([w.id, scope_id])
                    scopes[key] += 1
    by_kind: dict[str, int] = {}
    for w in rows:
        by_kind[w.kind] = by_kind.get(w.kind, 0) + 1
    return {"windows": len(rows), **{f"windows_{k}": v for k, v in by_kind.items()},
            **{f"window_scopes_{k}": v for k, v in scopes.items()}}  # fmt: skip


def generate(opts: Options, layout: Layout) -> dict[str, Any]:
    timings: dict[str, Any] = {}
    with timed(timings, "cmdb_s"):
        timings["cmdb"] = generate_cmdb(SimpleNamespace(db_url=opts.db_url, seed=opts.seed), layout)
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK or trigger work in a bulk load
        conn.execute("SELECT setseed(%s)", [(opts.seed % 997) / 997])
        with timed(timings, "people_sites_s"):
            people = create_people_and_sites(conn, layout)
        timings["ci_sites_s"] = people.pop("ci_sites_s")
        with timed(timings, "changes_s"):
            timings.update(create_changes(conn, opts, layout, people["users"]))
        with timed(timings, "windows_s"):
            timings.update(create_windows(conn, opts, layout, people))
        with timed(timings, "vacuum_analyze_s"):
            for table in ["cmdb_configurationitem", "changes_changerequest", "changes_changeci", "changes_window",
                          "changes_windowci", "changes_window_ci_classes", "changes_window_sites",
                          "accounts_user", "accounts_site"]:  # fmt: skip
                conn.execute(f'VACUUM ANALYZE "{table}"')
        conn.execute("INSERT INTO bench_meta VALUES ('changes', %s)", [json.dumps(timings)])
    return timings


# ---------------------------------------------------------------------------------------------- measure


def _sample_ids(opts: Options, count: int) -> list[int]:
    from plantdesk.changes.choices import ACTIVE_STATES
    from plantdesk.changes.models import ChangeRequest

    top = ChangeRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(opts.seed + 7)
    picked = sorted({rng.randint(1, top) for _ in range(count * 2)})
    active = set(ChangeRequest.objects.filter(pk__in=picked, state__in=ACTIVE_STATES).values_list("pk", flat=True))
    ids = [pk for pk in picked if pk in active]
    rng.shuffle(ids)
    return ids[:count]


def _check(change_id: int) -> tuple[float, list[Any]]:
    from plantdesk.changes.conflicts import conflicts_of
    from plantdesk.changes.models import ChangeRequest

    change = ChangeRequest.objects.get(pk=change_id)
    start = time.perf_counter()
    found = conflicts_of(change)
    return (time.perf_counter() - start) * 1000, found


def _queries(change_id: int) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plantdesk.changes.conflicts import conflicts_of
    from plantdesk.changes.models import ChangeRequest

    change = ChangeRequest.objects.get(pk=change_id)
    with CaptureQueriesContext(connection) as queries:
        conflicts_of(change)
    return len(queries), sum(float(q["time"]) for q in queries.captured_queries) * 1000


def measure_changes(opts: Options, samples: int, depth: int) -> tuple[Result, list[dict[str, Any]]]:
    """`samples` random active changes checked with the related-CI walk `depth` levels deep."""
    from django.conf import settings

    default_depth = settings.CHANGE_CONFLICT_DEPTH
    settings.CHANGE_CONFLICT_DEPTH = depth
    try:
        return _measure_changes(opts, samples, depth, default_depth == depth)
    finally:
        settings.CHANGE_CONFLICT_DEPTH = default_depth


def _measure_changes(opts: Options, samples: int, depth: int, target: bool) -> tuple[Result, list[dict[str, Any]]]:
    from plantdesk.changes.choices import ConflictKind
    from plantdesk.changes.conflicts import related_ci_ids
    from plantdesk.changes.models import ChangeCI

    ids = _sample_ids(opts, samples + 30)
    for change_id in ids[:30]:  # warm-up: plans, caches, buffers
        _check(change_id)
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    for change_id in ids[30:]:
        ms, found = _check(change_id)
        per_kind = {k: sum(1 for f in found if f.kind == k) for k in ConflictKind.values}
        rows.append({"change": change_id, "ms": ms, "conflicts": len(found), **per_kind})
        if time.monotonic() > deadline:
            print("  measurement stopped at its 180 s bound")
            break
    counted = [_queries(r["change"]) for r in rows[:100]]
    related = sorted(
        len(related_ci_ids(list(ChangeCI.objects.filter(change_id=r["change"]).values_list("ci_id", flat=True)), depth))
        for r in rows[:100]
    )
    n = max(1, len(rows))
    extra: dict[str, Any] = {
        "related_cis_median": related[len(related) // 2] if related else None,
        "related_cis_max": related[-1] if related else None,
        "with_conflicts_pct": round(100 * sum(1 for r in rows if r["conflicts"]) / n, 1),
        "conflicts_mean": round(sum(r["conflicts"] for r in rows) / n, 2),
        "conflicts_max": max((r["conflicts"] for r in rows), default=0),
        **{f"{k}_total": sum(r[k] for r in rows) for k in ConflictKind.values},
        "queries_median": sorted(q for q, _ in counted)[len(counted) // 2] if counted else None,
        "sql_ms_share": round(sum(s for _, s in counted) / max(1e-9, sum(r["ms"] for r in rows[:100])), 2),
    }
    times = [r["ms"] for r in rows]
    p95 = percentile(sorted(times), 0.95)
    name = f"conflicts_of(change), random active change, depth {depth}"
    if not target:
        return Result(name, times, "(no target)", None, extra), rows
    return Result(name, times, f"p95<={TARGET_P95_MS:g}ms", p95 <= TARGET_P95_MS, extra), rows


def measure_hubs(opts: Options, layout: Layout) -> Result:
    """Proposed changes on the hub CIs: the related-CI walk reads at most RELATED_LIMIT CIs (no target)."""
    from plantdesk.changes.conflicts import find_conflicts, related_ci_ids

    rng = random.Random(opts.seed + 8)
    samples, reached, found_total = [], [], 0
    for ci_id in hub_ids(layout):
        for _ in range(3):
            start = T0 + timedelta(minutes=15 * rng.randrange(HORIZON_DAYS * 96))
            began = time.perf_counter()
            found = find_conflicts(ci_ids=[ci_id], start=start, end=start + timedelta(hours=4))
            samples.append((time.perf_counter() - began) * 1000)
            found_total += len(found)
        reached.append(len(related_ci_ids([ci_id], 1)))
    return Result("find_conflicts on a hub CI (core switch, shared database)", samples, "(no target)", None,
                  {"related_cis_min": min(reached), "related_cis_max": max(reached),
                   "conflicts_mean": round(found_total / max(1, len(samples)), 1)})  # fmt: skip


def explain(rows: list[dict[str, Any]]) -> None:
    """EXPLAIN ANALYZE of every query of the check with the most conflicts among the samples."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plantdesk.changes.conflicts import conflicts_of
    from plantdesk.changes.models import ChangeRequest

    worst = max(rows, key=lambda r: (r["conflicts"], r["ms"]))
    change = ChangeRequest.objects.get(pk=worst["change"])
    with CaptureQueriesContext(connection) as queries:
        conflicts_of(change)
    print(
        f"\n--- EXPLAIN ANALYZE of the {len(queries)} queries checking {change.number} ({worst['conflicts']} conflicts)"
    )
    with connection.cursor() as cursor:
        for q in queries.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {q['sql']}")
            plan = "\n".join(row[0] for row in cursor)
            text = re.sub(r"IN \(([0-9]+), [0-9, ]+, ([0-9]+)\)", r"IN (\1, ..., \2)", q["sql"])  # long id lists
            print(f"\n{text[:800]}\n{plan}")


# ---------------------------------------------------------------------------------------------- report


def print_table(results: list[Result]) -> None:
    print(f"\n{'measurement':<58} {'n':>5} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}  {'target':<12} {'':<6}")
    for r in results:
        s = r.stats()
        verdict = {True: "met", False: "MISSED", None: ""}[r.met]
        print(f"{r.name:<58} {s['n']:>5} {s['median']:>8} {s['p95']:>8} {s['p99']:>8} {s['max']:>8}  "
              f"{r.target:<12} {verdict:<6}")  # fmt: skip
        print("    " + ", ".join(f"{k}={v}" for k, v in r.extra.items()))
    print("(times in ms)")


def write_json(opts: Options, results: list[Result], setup: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"changes-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "cis": opts.cis, "changes": opts.changes, "windows": opts.windows,
           "seed": opts.seed, "setup": setup, "load_average": os.getloadavg(),
           "results": {r.name: r.stats() for r in results}, "samples": rows}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2, default=str))
    return path


def run(opts: Options, home: Path) -> None:
    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}
    if opts.reuse:
        migrate(env)
        with psycopg.connect(opts.db_url) as conn:
            meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        layout = Layout.from_json(meta["layout"])
        setup["generated"] = json.loads(meta["changes"])
        setup_django(env)
    else:
        layout = Layout.for_cis(opts.cis)
        admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{opts.db}"')
        started = time.perf_counter()
        migrate(env)
        setup_django(env)  # the generator reads model fields and expands window rules with the app's code
        print(f"set-up: database migrated; generating {layout.total:,} CIs, {opts.changes:,} changes, "
              f"{opts.windows:,} windows")  # fmt: skip
        setup.update(generate(opts, layout))
        setup["total_s"] = round(time.perf_counter() - started, 1)
        print(f"generation: {json.dumps(setup, indent=1, default=str)}")
    from django.conf import settings

    depth = settings.CHANGE_CONFLICT_DEPTH
    result, rows = measure_changes(opts, opts.samples, depth)
    print(f"random changes measured: {len(rows)}")
    results = [result]
    if opts.deeper_samples:
        results.append(measure_changes(opts, opts.deeper_samples, depth + 1)[0])
        print(f"random changes measured at depth {depth + 1}: {results[-1].stats()['n']}")
    results.append(measure_hubs(opts, layout))
    if opts.explain:
        explain(rows)
    print_table(results)
    report_footer(setup["code"], write_json(opts, results, setup, rows) if opts.json else None)


def main() -> None:
    opts = parse_args()
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
