"""CMDB benchmark on PostgreSQL: impact analysis on 1,000,000 CIs / ~5,000,000 relationships, and CSV import.

Creates its own database on 127.0.0.1 (default plantdesk_bench_cmdb), migrates it with `plantdesk migrate`,
bulk-generates CIs and relationships with SQL (fixed seed) shaped like a plant group, then measures:

- downstream `impact()` from random non-hub CIs (depth 10, limit 10,000 as the API does): median/p95/p99 and
  how many CIs each reached; target p99 <= 50 ms for the roots that reach <= 10,000 CIs;
- downstream `impact()` from hub CIs (core switches, shared databases; depth 20, limit 200,000) reaching
  >= 100,000 CIs: target <= 500 ms;
- `plantdesk import cis FILE` of a generated 100,000-row CSV with relationships: target <= 60 s.

Impact is measured twice: first the SQL walk (a process with no current in-memory graph: cold, or just
after a relationship changed; no target), then, after `load_graph()` (its seconds and memory are
reported), the in-memory graph a serving process uses; the targets apply to the latter.

Shape (counts at 1M CIs; --cis scales them): business services -depends_on-> applications -runs_on-> VMs
-hosted_on-> servers (clusters of 10) -depends_on-> access switches -depends_on-> 4 core switches (hubs);
applications -depends_on-> databases (3 shared hub databases take 40 % of the applications) and -uses->
earlier applications of their block of 50 (integrations), ~1 % "uses" back-edges inside a block make cycles;
lines -contains-> cells -contains-> PLCs and HMIs, PLCs -uses-> PLCs of their cell. Server uplinks are
`depends_on`: `connected_to` is network adjacency and carries no impact (docs/cmdb.md); only the core
pairs are `connected_to` (it propagated both ways before cmdb migration 0006, when the figures in
docs/performance.md were measured).

    .venv/bin/python bench/cmdb.py                    # generate, measure, drop
    .venv/bin/python bench/cmdb.py --keep --json      # keep the database, write bench/results/*.json
    .venv/bin/python bench/cmdb.py --reuse --keep     # measure again on the kept database
    .venv/bin/python bench/cmdb.py --cis 20000        # a quick small run
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from common import (
    PG_SERVER,
    RESULTS_DIR,
    admin_execute,
    cli,
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

TABLES = ["cmdb_configurationitem", "cmdb_relationship"]
TARGETS = {"impact_ms_p99": 50.0, "hub_ms": 500.0, "import_s": 60.0}
SMALL_REACH = 10_000  # the random-CI target applies to roots reaching at most this many CIs
HUB_REACH = 100_000

# (key, CI class, count at 1M CIs, name prefix); ids are assigned in this order, 1..N.
SEGMENTS = [("core", "network_device", 4, "SW-CORE"), ("sw", "network_device", 1_996, "SW-ACC"),
            ("srv", "server", 20_000, "SRV"), ("vm", "virtual_machine", 200_000, "VM"),
            ("db", "database", 20_000, "DB"), ("app", "application", 300_000, "APP"),
            ("svc", "business_service", 50_000, "SVC"), ("line", "line", 5_000, "LINE"),
            ("cell", "cell", 50_000, "CELL"), ("plc", "plc", 350_000, "PLC"), ("hmi", "hmi", 3_000, "HMI")]  # fmt: skip
FIXED = {"core": 4}  # not scaled
HUB_DBS = 3  # the first databases are shared by 40 % of the applications
APP_BLOCK = 50  # applications integrate ("uses") only inside their block
APP_USES = 6
PLCS_PER_CELL = 7
CELLS_PER_LINE = 10
SERVER_CLUSTER = 10


@dataclass
class Options:
    db: str
    cis: int
    seed: int
    keep: bool
    reuse: bool
    json: bool
    explain: bool
    samples: int
    hub_repeats: int
    import_rows: int
    import_timeout: float

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

        def pct(q: float) -> float:
            return percentile(s, q)

        return {"n": len(s), "median": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0),
                "target": self.target, "met": self.met, **self.extra}  # fmt: skip


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench_cmdb")
    p.add_argument("--cis", type=int, default=1_000_000, help="number of CIs (relationships scale with it)")
    p.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of one impact level query")
    p.add_argument("--samples", type=int, default=300, help="random roots for the impact measurement")
    p.add_argument("--hub-repeats", type=int, default=2, help="runs per hub root")
    p.add_argument("--import-rows", type=int, default=100_000)
    p.add_argument("--import-timeout", type=float, default=600.0, help="seconds before the import is stopped")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    if a.cis < 10_000:
        p.error("--cis must be at least 10000")
    return Options(a.db, a.cis, a.seed, a.keep, a.reuse, a.json, a.explain, a.samples, a.hub_repeats,
                   a.import_rows, a.import_timeout)  # fmt: skip


# ---------------------------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class Layout:
    """Where each segment's ids start (id = base + i, i = 1..count) and how many it holds."""

    base: dict[str, int]
    count: dict[str, int]
    prefix: dict[str, str]

    @classmethod
    def for_cis(cls, cis: int) -> Layout:
        scale = cis / 1_000_000
        base, count, prefix, next_id = {}, {}, {}, 0
        for key, _, n, pre in SEGMENTS:
            c = FIXED.get(key) or max(SERVER_CLUSTER if key == "srv" else 10, round(n * scale))
            base[key], count[key], prefix[key] = next_id, c, pre
            next_id += c
        return cls(base, count, prefix)

    @property
    def total(self) -> int:
        return sum(self.count.values())

    def name(self, key: str, i: int) -> str:
        return f"{self.prefix[key]}-{i:07d}"

    def to_json(self) -> str:
        return json.dumps({"base": self.base, "count": self.count, "prefix": self.prefix})

    @classmethod
    def from_json(cls, text: str) -> Layout:
        d = json.loads(text)
        return cls(d["base"], d["count"], d["prefix"])


def ci_insert_sql(layout: Layout, classes: dict[str, int]) -> list[str]:
    statements = []
    for key, class_name, _, _ in SEGMENTS:
        b, n = layout.base[key], layout.count[key]
        statements.append(f"""
        INSERT INTO cmdb_configurationitem (id, name, ci_class_id, status, criticality, description, attributes,
          gxp_relevant, validation_status, part11_applicable, system_owner, process_owner, qa_owner, security_zone,
          conduit, purdue_level, created_at, updated_at, retire_reason)
        SELECT {b} + i, '{layout.prefix[key]}-' || lpad(i::text, 7, '0'), {classes[class_name]}, 'in_service',
          (ARRAY['critical','high','medium','low'])[1 + (hashint4(i) & 3)], '', '{{}}', false, '', false, '', '',
          '', '', '', '', now() - interval '400 days', now() - (i % 400) * interval '1 day', ''
        FROM generate_series(1, {n}) AS i ORDER BY i""")
    return statements


def relationship_insert_sql(layout: Layout, types: dict[str, int]) -> list[tuple[str, str]]:
    """(label, INSERT ... SELECT) per edge family; every family is duplicate-free by construction."""
    b, c = layout.base, layout.count
    ins = "INSERT INTO cmdb_relationship (source_id, type_id, target_id, created_at) "
    clusters = c["srv"] // SERVER_CLUSTER
    other_dbs = c["db"] - HUB_DBS
    return [
        ("vm hosted_on 3 servers of a cluster", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {clusters})::int AS cl,
                                        floor(random() * {SERVER_CLUSTER})::int AS r
                                 FROM generate_series(1, {c["vm"]}) AS i)
         SELECT {b["vm"]} + i, {types["hosted_on"]},
                {b["srv"]} + cl * {SERVER_CLUSTER} + (r + k) % {SERVER_CLUSTER} + 1, now()
         FROM g CROSS JOIN generate_series(0, 2) AS k"""),
        ("server depends_on 2 access switches", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {c["sw"]})::int AS r FROM generate_series(1, {c["srv"]}) i)
         SELECT {b["srv"]} + i, {types["depends_on"]}, {b["sw"]} + (r + k) % {c["sw"]} + 1, now()
         FROM g CROSS JOIN generate_series(0, 1) AS k"""),
        ("access switch depends_on 2 core switches", f"""{ins}
         SELECT {b["sw"]} + i, {types["depends_on"]}, {b["core"]} + (i + k) % {c["core"]} + 1, now()
         FROM generate_series(1, {c["sw"]}) AS i CROSS JOIN generate_series(0, 1) AS k"""),
        ("core switch pairs connected_to", f"""{ins}
         SELECT {b["core"]} + i, {types["connected_to"]}, {b["core"]} + i + 1, now()
         FROM generate_series(1, {c["core"] - 1}, 2) AS i"""),
        ("application runs_on 1-6 VMs", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {c["vm"]})::int AS r, 1 + floor(random() * 6)::int AS d
                                 FROM generate_series(1, {c["app"]}) AS i)
         SELECT {b["app"]} + i, {types["runs_on"]}, {b["vm"]} + (r + k) % {c["vm"]} + 1, now()
         FROM g CROSS JOIN LATERAL generate_series(0, d - 1) AS k"""),
        ("application depends_on a database (40 % on 3 shared hubs)", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, random() AS h, random() AS r FROM generate_series(1, {c["app"]}) AS i)
         SELECT {b["app"]} + i, {types["depends_on"]},
                {b["db"]} + 1 + CASE WHEN h < 0.4 THEN floor(r * {HUB_DBS})::int
                                     ELSE {HUB_DBS} + floor(r * {other_dbs})::int END, now()
         FROM g"""),
        ("database runs_on a VM", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {c["vm"]})::int AS r FROM generate_series(1, {c["db"]}) i)
         SELECT {b["db"]} + i, {types["runs_on"]}, {b["vm"]} + r + 1, now() FROM g"""),
        ("business service depends_on 6 applications", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {c["app"]})::int AS r FROM generate_series(1, {c["svc"]}) i)
         SELECT {b["svc"]} + i, {types["depends_on"]}, {b["app"]} + (r + k) % {c["app"]} + 1, now()
         FROM g CROSS JOIN generate_series(0, 5) AS k"""),
        (f"application uses up to {APP_USES} earlier applications of its block", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, (i - 1) % {APP_BLOCK} AS p, i - 1 - (i - 1) % {APP_BLOCK} AS blk,
                                        random() AS r FROM generate_series(1, {c["app"]}) AS i)
         SELECT {b["app"]} + i, {types["uses"]}, {b["app"]} + blk + (floor(r * p)::int + k) % p + 1, now()
         FROM g CROSS JOIN LATERAL generate_series(0, least({APP_USES}, p) - 1) AS k WHERE p > 0"""),
        ("~1 % cycle edges: application uses a later application of its block", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, (i - 1) % {APP_BLOCK} AS p, i - 1 - (i - 1) % {APP_BLOCK} AS blk,
                                        random() AS pick, random() AS r FROM generate_series(1, {c["app"]}) AS i)
         SELECT {b["app"]} + i, {types["uses"]},
                {b["app"]} + blk + p + 2 + floor(r * ({APP_BLOCK} - 1 - p))::int, now()
         FROM g WHERE pick < 1.0 / 6 AND p < {APP_BLOCK} - 1 AND blk + {APP_BLOCK} <= {c["app"]}"""),
        ("line contains cells", f"""{ins}
         SELECT {b["line"]} + 1 + ((i - 1) / {CELLS_PER_LINE}) % {c["line"]}, {types["contains"]}, {b["cell"]} + i,
                now() FROM generate_series(1, {c["cell"]}) AS i"""),
        ("cell contains PLCs", f"""{ins}
         SELECT {b["cell"]} + 1 + ((i - 1) / {PLCS_PER_CELL}) % {c["cell"]}, {types["contains"]}, {b["plc"]} + i,
                now() FROM generate_series(1, {c["plc"]}) AS i"""),
        ("cell contains an HMI", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, floor(random() * {c["cell"]})::int AS r
                                 FROM generate_series(1, {c["hmi"]}) AS i)
         SELECT {b["cell"]} + r + 1, {types["contains"]}, {b["hmi"]} + i, now() FROM g"""),
        ("PLC uses up to 2 earlier PLCs of its cell", f"""{ins}
         WITH g AS MATERIALIZED (SELECT i, (i - 1) % {PLCS_PER_CELL} AS p FROM generate_series(1, {c["plc"]}) AS i)
         SELECT {b["plc"]} + i, {types["uses"]}, {b["plc"]} + i - 1 - k, now()
         FROM g CROSS JOIN LATERAL generate_series(0, least(2, p) - 1) AS k WHERE p > 0"""),
    ]  # fmt: skip


def generate(opts: Options, layout: Layout) -> dict[str, Any]:
    """Bulk-load with secondary indexes and unique constraints dropped and FK triggers off, then re-index."""
    timings: dict[str, Any] = {}
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET session_replication_role = replica")
        classes = dict(conn.execute("SELECT name, id FROM cmdb_ciclass").fetchall())
        types = dict(conn.execute("SELECT name, id FROM cmdb_relationshiptype").fetchall())
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [TABLES],
        ).fetchall()
        uniques = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)",
            [TABLES],
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for table, name, _ in uniques:
            conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        conn.execute("SELECT setseed(%s)", [(opts.seed % 1000) / 1000])
        with timed(timings, "cis_s"):
            for sql in ci_insert_sql(layout, classes):
                conn.execute(sql)
        conn.execute("SELECT setval(pg_get_serial_sequence('cmdb_configurationitem', 'id'), %s)", [layout.total])
        per_family: dict[str, int] = {}
        with timed(timings, "relationships_s"):
            for label, sql in relationship_insert_sql(layout, types):
                per_family[label] = conn.execute(sql).rowcount
        with timed(timings, "indexes_s"):
            for table, name, definition in uniques:
                conn.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            for _, ddl in indexes:
                conn.execute(ddl)
        # Triggers were off (replica role): move the graph version on by hand, as any bulk loader must.
        conn.execute("UPDATE cmdb_graph_version SET version = nextval('cmdb_graph_version_seq') WHERE id = 1")
        with timed(timings, "vacuum_analyze_s"):
            for table in TABLES:
                conn.execute(f"VACUUM ANALYZE {table}")
        cis = conn.execute("SELECT count(*) FROM cmdb_configurationitem").fetchone()
        rels = conn.execute("SELECT max(id) FROM cmdb_relationship").fetchone()
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        conn.execute("INSERT INTO bench_meta VALUES ('layout', %s), ('max_rel_id', %s), ('seed', %s)",
                     [layout.to_json(), str(rels[0] if rels else 0), str(opts.seed)])  # fmt: skip
    timings.update(cis=cis[0] if cis else 0, relationships=sum(per_family.values()), per_family=per_family)
    return timings


def reset_to_generated(opts: Options) -> Layout:
    """On --reuse, remove what an earlier import added, so every run measures the same data."""
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        layout = Layout.from_json(meta["layout"])
        conn.execute("DELETE FROM cmdb_relationship WHERE id > %s", [int(meta["max_rel_id"])])
        conn.execute("DELETE FROM cmdb_cialias WHERE ci_id > %s", [layout.total])
        conn.execute("DELETE FROM cmdb_configurationitem WHERE id > %s", [layout.total])
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    return layout


# ---------------------------------------------------------------------------------------------- impact


def hub_ids(layout: Layout) -> dict[int, str]:
    cores = range(1, layout.count["core"] + 1)
    hubs = {layout.base["core"] + i: f"core switch {layout.name('core', i)}" for i in cores}
    for i in range(1, HUB_DBS + 1):
        hubs[layout.base["db"] + i] = f"shared database {layout.name('db', i)}"
    return hubs


def _timed_impact(ci_id: int, depth: int, limit: int) -> tuple[float, int, bool, int, float]:
    """(ms, CIs reached, truncated, queries, ms spent in SQL) of one downstream impact() from `ci_id`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plantdesk.cmdb.impact import impact
    from plantdesk.cmdb.models import ConfigurationItem

    root = ConfigurationItem.objects.select_related("ci_class").get(pk=ci_id)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = impact(root, "downstream", depth, limit)
        ms = (time.perf_counter() - start) * 1000
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return ms, len(result.items), result.truncated, len(queries), sql_ms


def load_graph() -> dict[str, Any]:
    """Load the downstream graph as a serving process would: seconds, and the memory it added."""
    import resource

    from plantdesk.cmdb import impact

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    current = impact.load_graph("downstream")
    seconds = time.perf_counter() - start
    rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) // 1024
    return {"current": current, "seconds": round(seconds, 1), "peak_rss_added_mb": rss_mb}


def measure_random(opts: Options, layout: Layout, walk: str) -> tuple[list[Result], list[dict[str, Any]]]:
    hubs = hub_ids(layout)
    rng = random.Random(opts.seed)
    roots: list[int] = []
    while len(roots) < opts.samples + 20:
        ci_id = rng.randint(1, layout.total)
        if ci_id not in hubs:
            roots.append(ci_id)
    for ci_id in roots[:20]:  # warm-up: plans, caches, buffers
        _timed_impact(ci_id, 10, 10_000)
    rows: list[dict[str, Any]] = []
    deadline = time.monotonic() + 180
    for ci_id in roots[20:]:
        ms, reached, truncated, queries, sql_ms = _timed_impact(ci_id, 10, 10_000)
        rows.append({"walk": walk, "id": ci_id, "ms": ms, "reached": reached, "truncated": truncated,
                     "queries": queries, "sql_ms": sql_ms})  # fmt: skip
        if time.monotonic() > deadline:
            break
    # limit=10,000 keeps at most 10,000 CIs: a root that hits it reaches more (depth-truncated roots still count)
    small = [r for r in rows if r["reached"] < SMALL_REACH]
    big = [r for r in rows if r["reached"] >= SMALL_REACH]
    results = []
    if small:
        reach = sorted(r["reached"] for r in small)
        p99 = Result("x", [r["ms"] for r in small], "", None).stats()["p99"]
        target = walk == "graph"
        results.append(Result(f"impact random CI, reached <= {SMALL_REACH:,} ({walk})", [r["ms"] for r in small],
                              f"p99<={TARGETS['impact_ms_p99']:g}ms" if target else "(no target)",
                              p99 <= TARGETS["impact_ms_p99"] if target else None,
                              {"reached_median": reach[len(reach) // 2], "reached_max": reach[-1],
                               "depth_truncated": sum(r["truncated"] for r in small),
                               "queries_median": sorted(r["queries"] for r in small)[len(small) // 2],
                               "sql_ms_share": round(sum(r["sql_ms"] for r in small) /
                                                     max(1e-9, sum(r["ms"] for r in small)), 2)}))  # fmt: skip
    if big:
        results.append(Result(f"impact random CI, reached > {SMALL_REACH:,} (limit hit, {walk})",
                              [r["ms"] for r in big], "(no target)", None,
                              {"reached_min": min(r["reached"] for r in big)}))  # fmt: skip
    return results, rows


def measure_hubs(opts: Options, layout: Layout, walk: str) -> list[Result]:
    from plantdesk.cmdb.impact import impact
    from plantdesk.cmdb.models import ConfigurationItem

    results = []
    deadline = time.monotonic() + 300
    for ci_id, label in hub_ids(layout).items():
        samples, info = [], {}
        for _ in range(opts.hub_repeats):
            ms, reached, truncated, queries, sql_ms = _timed_impact(ci_id, 20, 200_000)
            samples.append(ms)
            info = {"reached": reached, "truncated": truncated, "queries": queries, "sql_ms": round(sql_ms)}
            if time.monotonic() > deadline:
                break
        # What an API response adds on top: every item's path (built lazily, on first access).
        result = impact(ConfigurationItem.objects.get(pk=ci_id), "downstream", 20, 200_000)
        start = time.perf_counter()
        sum(len(item.path) for item in result.items)
        info["all_paths_ms"] = round((time.perf_counter() - start) * 1000)
        del result
        target = walk == "graph"
        met = min(samples) <= TARGETS["hub_ms"] if info["reached"] >= HUB_REACH and target else None
        results.append(Result(f"impact hub {label} ({walk})", samples,
                              f"<={TARGETS['hub_ms']:g}ms" if target else "(no target)", met, info))  # fmt: skip
        if time.monotonic() > deadline:
            print("  hub measurement stopped at its 300 s bound")
            break
    return results


def explain_level(layout: Layout) -> None:
    """EXPLAIN ANALYZE of the first level queries impact() runs for the biggest frontier of a hub."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plantdesk.cmdb import impact

    frontier = list(range(layout.base["vm"] + 1, layout.base["vm"] + 5001))  # a 5,000-id batch of VMs
    with CaptureQueriesContext(connection) as queries:
        impact._reached(frontier, impact._edge_types("downstream"))
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(re.sub(r"'\{([0-9]+),[0-9,]+,([0-9]+)\}'", r"'{\1,...,\2}'", row[0]) for row in cursor)
    print(f"\n--- EXPLAIN ANALYZE one SQL-walk level batch (5,000 VM ids, both directions, names)\n{plan}")


# ---------------------------------------------------------------------------------------------- import


def write_import_csv(opts: Options, layout: Layout, path: Path) -> dict[str, int]:
    """New CIs shaped like the generated ones: VMs on existing servers, applications on the new VMs (and on
    existing databases), services on the new applications, cells containing new PLCs (the 10/50/10/5/25 mix)."""
    rng = random.Random(opts.seed + 1)
    n = opts.import_rows
    counts = {"vm": n // 10, "app": n // 2, "svc": n // 10, "cell": n // 20}
    counts["plc"] = n - sum(counts.values())
    stamp = f"IMP{opts.seed % 10_000:04d}"
    name = {k: (lambda i, k=k: f"{stamp}-{k.upper()}-{i:07d}") for k in counts}
    rels = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "ci_class", "criticality", "rel:hosted_on", "rel:runs_on", "rel:depends_on", "rel:uses",
                    "rel:contains"])  # fmt: skip
        for i in range(counts["plc"]):
            w.writerow([name["plc"](i), "plc", "high", "", "", "", "", ""])
        for i in range(counts["vm"]):
            servers = {layout.name("srv", rng.randint(1, layout.count["srv"])) for _ in range(2)}
            rels += len(servers)
            w.writerow([name["vm"](i), "virtual_machine", "medium", ";".join(sorted(servers)), "", "", "", ""])
        for i in range(counts["app"]):
            vms = {name["vm"](rng.randrange(counts["vm"])) for _ in range(2)}
            db = layout.name("db", rng.randint(1, layout.count["db"]))
            uses = {name["app"](i - 1 - rng.randrange(min(i, APP_BLOCK))) for _ in range(2)} if i else set()
            rels += len(vms) + 1 + len(uses)
            w.writerow([name["app"](i), "application", "medium", "", ";".join(sorted(vms)), db, ";".join(sorted(uses)),
                        ""])  # fmt: skip
        for i in range(counts["svc"]):
            apps = {name["app"](rng.randrange(counts["app"])) for _ in range(3)}
            rels += len(apps)
            w.writerow([name["svc"](i), "business_service", "high", "", "", ";".join(sorted(apps)), "", ""])
        per_cell = counts["plc"] // counts["cell"]
        for i in range(counts["cell"]):
            plcs = [name["plc"](i * per_cell + k) for k in range(per_cell)]
            rels += len(plcs)
            w.writerow([name["cell"](i), "cell", "medium", "", "", "", "", ";".join(plcs)])
    return {"rows": n, "relationships": rels}


def measure_import(opts: Options, layout: Layout, env: dict[str, str]) -> Result:
    with tempfile.TemporaryDirectory(prefix="plantdesk-bench-import-") as tmp:
        path = Path(tmp) / "cis.csv"
        shape = write_import_csv(opts, layout, path)
        start = time.perf_counter()
        try:
            done = cli(env, "import", "cis", str(path), timeout=opts.import_timeout)
        except subprocess.TimeoutExpired:
            seconds = time.perf_counter() - start
            print(f"  ! import stopped after {seconds:.0f} s (--import-timeout)")
            return Result("plantdesk import cis (CSV)", [seconds * 1000], f"<={TARGETS['import_s']:g}s", False,
                          {"seconds": round(seconds, 1), "timed_out": True, **shape})  # fmt: skip
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"plantdesk import failed:\n{done.stderr[-3000:]}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    extra = {"seconds": round(seconds, 1), **shape, "output": summary}
    return Result("plantdesk import cis (CSV)", [seconds * 1000], f"<={TARGETS['import_s']:g}s",
                  seconds <= TARGETS["import_s"], extra)  # fmt: skip


# ---------------------------------------------------------------------------------------------- report


def print_table(results: list[Result]) -> None:
    print(f"\n{'measurement':<58} {'n':>4} {'median':>9} {'p95':>9} {'p99':>9}  {'target':<13} {'':<6} notes")
    for r in results:
        s = r.stats()
        verdict = {True: "met", False: "MISSED", None: ""}[r.met]
        notes = ", ".join(f"{k}={v}" for k, v in r.extra.items())
        print(f"{r.name:<58} {s['n']:>4} {s['median']:>9} {s['p95']:>9} {s['p99']:>9}  {r.target:<13} "
              f"{verdict:<6} {notes}")  # fmt: skip
    print("(times in ms)")


def write_json(opts: Options, results: list[Result], setup: dict[str, Any], rows: list[dict[str, Any]]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"cmdb-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "cis": opts.cis, "seed": opts.seed, "setup": setup,
           "load_average": os.getloadavg(), "results": {r.name: r.stats() for r in results},
           "random_roots": rows}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2))
    return path


def run(opts: Options, home: Path) -> None:
    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}
    if opts.reuse:
        migrate(env)
        layout = reset_to_generated(opts)
        setup_django(env)
    else:
        layout = Layout.for_cis(opts.cis)
        admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{opts.db}"')
        started = time.perf_counter()
        migrate(env)
        print(f"set-up: database migrated; generating {layout.total:,} CIs")
        setup.update(generate(opts, layout))
        setup["total_s"] = round(time.perf_counter() - started, 1)
        print(f"generation: {json.dumps(setup, indent=1)}")
        setup_django(env)
    from plantdesk.cmdb import impact

    impact.BACKGROUND_LOAD = False  # first the SQL walk, with no graph loading behind it
    results, rows = measure_random(opts, layout, "sql")
    print(f"random roots measured (SQL walk): {len(rows)}")
    results += measure_hubs(opts, layout, "sql")
    if opts.explain:
        explain_level(layout)
    setup["graph_load"] = load_graph()
    print(f"in-memory graph: {setup['graph_load']}")
    graph_results, graph_rows = measure_random(opts, layout, "graph")
    print(f"random roots measured (graph): {len(graph_rows)}")
    rows += graph_rows
    results += graph_results + measure_hubs(opts, layout, "graph")
    from django.db import connection

    connection.close()
    results.append(measure_import(opts, layout, env))
    print_table(results)
    report_footer(setup["code"], write_json(opts, results, setup, rows) if opts.json else None)


def main() -> None:
    opts = parse_args()
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
