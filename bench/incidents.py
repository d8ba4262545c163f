"""Incident benchmark on PostgreSQL at 1,000,000 incidents (docs/performance.md has the method and figures).

Creates its own database on 127.0.0.1 (default plantdesk_bench), migrates it with `plantdesk migrate`, creates
sites, groups and people through the real account actions, bulk-generates incidents and journals with SQL
(fixed seed), then measures the agent queue (in-process and over HTTP), GET by number and POST creates with
concurrent clients against a real `plantdesk serve`. The database is dropped at the end unless --keep is
given; `--reuse --keep` re-runs only the measuring phase on a kept database.

    .venv/bin/python bench/incidents.py                 # generate, measure, drop
    .venv/bin/python bench/incidents.py --keep --json   # keep the database, write bench/results/*.json
    .venv/bin/python bench/incidents.py --reuse --keep  # measure again on the kept database
    .venv/bin/python bench/incidents.py --incidents 100000 --only create --sequential 1000 --clients 0
                                                        # only the create latency of one client, one at a time
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import multiprocessing
import os
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
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
    timed,
)

OPEN_STATES = "new,in_progress,on_hold"

SITES = [("ber", "Berlin plant", "Europe/Berlin", 0.5), ("sin", "Singapore plant", "Asia/Singapore", 0.3),
         ("chi", "Chicago plant", "America/Chicago", 0.2)]  # fmt: skip
# (name, share of all incidents): the service desk takes the most, as in real plants.
GROUPS = [("Service Desk", 0.30), ("MES Support", 0.14), ("OT Engineering", 0.12), ("Network", 0.10),
          ("ERP Support", 0.09), ("Lab Systems", 0.07), ("Database", 0.06), ("Workplace", 0.05),
          ("Security", 0.04), ("QA", 0.03)]  # fmt: skip
AGENTS_PER_GROUP = 4
REQUESTERS = 300
# ITIL reality: few criticals, most incidents are moderate or low. P1..P5 shares.
PRIORITY_SHARES = [0.02, 0.08, 0.30, 0.45, 0.15]
IMPACT_URGENCY = [(1, 1), (1, 2), (2, 2), (2, 3), (3, 3)]  # one impact x urgency cell per priority (ITIL matrix)
# new, in_progress, on_hold (12 % open together), resolved, closed, canceled.
STATES = ["new", "in_progress", "on_hold", "resolved", "closed", "canceled"]
STATE_SHARES = [0.04, 0.05, 0.03, 0.08, 0.75, 0.05]
TEXTS = [("Line 3 MES batch screen frozen", "software", "BER-MES-APP01"),
         ("Filler PLC not reachable from SCADA", "ot_equipment", "BER-L3-PLC01"),
         ("HMI touch panel unresponsive", "ot_equipment", "BER-L2-HMI01"),
         ("Cannot print batch labels", "hardware", "BER-L1-PRN01"),
         ("LIMS results not transferred to MES", "software", "BER-LIMS-APP01"),
         ("Historian gaps for line temperatures", "software", "BER-HIST01"),
         ("Password reset for shop-floor terminal", "access", "BER-WS-L3-01"),
         ("Wi-Fi drops in warehouse scanners", "network", "BER-WLC01"),
         ("ERP goods receipt posting slow", "software", "ERP-PRD"),
         ("Chromatography data system login fails", "access", "SIN-CDS-APP01"),
         ("Core switch port flapping", "network", "SIN-SW-CORE1"),
         ("Backup of MES database failed", "database", "BER-MES-DB01")]  # fmt: skip
CI_CLASSES = {"database": "database", "network": "network_device", "ot_equipment": "plc", "hardware": "instrument",
              "access": "application", "software": "application"}  # fmt: skip
JOURNAL_BODIES = ["Checked the application log: repeated timeouts towards the database.",
                  "Remote session with the operator; screen reproduces after login.",
                  "The line is running in manual mode for now.", "Issue still there after the shift change.",
                  "Vendor ticket opened.", "Restarted the service in agreement with the shift lead."]  # fmt: skip
# Queue users: (username, role, groups, sites). One-site agent of the biggest group, two-group agent,
# small-group agent, four-group manager: the queue's cost depends on how many open rows the groups hold.
QUEUE_USERS = [("q_sd_ber", "agent", ["Service Desk"], ["ber"]),
               ("q_mes_ot", "agent", ["MES Support", "OT Engineering"], ["ber", "sin", "chi"]),
               ("q_lab", "agent", ["Lab Systems"], ["ber", "sin", "chi"]),
               ("q_mgr", "manager", ["Service Desk", "MES Support", "Network", "OT Engineering"],
                ["ber", "sin", "chi"])]  # fmt: skip
UI_PASSWORD = "bench-password-1234"  # a throwaway database; needed only for the session login of the UI probe
TARGETS = {"queue_ms_p95": 100.0, "get_ms_p95": 20.0, "creates_per_s": 300.0}


@dataclass
class Options:
    db: str
    incidents: int
    seed: int
    keep: bool
    reuse: bool
    json: bool
    explain: bool
    queue_iterations: int
    get_requests: int
    clients: int
    create_seconds: float
    create_max: int
    server_configs: list[tuple[int, int]]
    only: str = "all"
    sequential: int = 0

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"


@dataclass
class Result:
    name: str
    samples_ms: list[float]
    target_p95_ms: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stats(self) -> dict[str, Any]:
        s = sorted(self.samples_ms)

        def pct(q: float) -> float:
            return percentile(s, q)

        return {"n": len(s), "median_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), **self.extra}


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench")
    p.add_argument("--incidents", type=int, default=1_000_000)
    p.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the queue queries")
    p.add_argument("--queue-iterations", type=int, default=200)
    p.add_argument("--get-requests", type=int, default=500)
    p.add_argument("--create-seconds", type=float, default=20.0)
    p.add_argument("--create-max", type=int, default=20_000, help="upper bound of creates per server setting")
    p.add_argument("--servers", default="2x1,2x2", help="WORKERSxTHREADS of `plantdesk serve` tried for creates")
    p.add_argument("--only", choices=["all", "create"], default="all", help="create: skip the queue and GET phases")
    p.add_argument(
        "--sequential",
        type=int,
        default=0,
        help="also POST this many creates from one client, one after the other (per-request latency)",
    )
    p.add_argument("--clients", dest="clients", type=int, default=8, help="concurrent create clients (0: none)")
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    configs = [(int(w), int(t)) for w, t in (c.split("x") for c in a.servers.split(","))]
    return Options(a.db, a.incidents, a.seed, a.keep, a.reuse, a.json, a.explain, a.queue_iterations,
                   a.get_requests, a.clients, a.create_seconds, a.create_max, configs, a.only,
                   a.sequential)  # fmt: skip


# ---------------------------------------------------------------------------------------------- set-up


def create_people() -> dict[str, Any]:
    """Sites, groups and users through the real actions, so they carry their audit entries like production."""
    from plantdesk.accounts.actions import do_create_group, do_create_site, do_create_user, get_system_user
    from plantdesk.accounts.models import AssignmentGroup, Site, User
    from plantdesk.cmdb.actions import do_create_ci

    system = get_system_user()
    for code, name, zone, _ in SITES:
        do_create_site(code, name, zone, actor=system)
    for name, _ in GROUPS:
        do_create_group(name, actor=system)
    site_codes = [s[0] for s in SITES]
    for gi, (group, _) in enumerate(GROUPS):
        for k in range(AGENTS_PER_GROUP):
            do_create_user(f"ag{gi:02d}_{k}", role="agent", actor=system, sites=site_codes, groups=[group])
    for n in range(REQUESTERS):
        do_create_user(f"rq{n:04d}", role="requester", actor=system, sites=[site_codes[n % len(site_codes)]])
    for username, role, groups, sites in QUEUE_USERS:
        do_create_user(username, role=role, actor=system, sites=sites, groups=groups, password=UI_PASSWORD)
    do_create_user("bench_api", role="agent", actor=system, sites=site_codes, groups=[g for g, _ in GROUPS])
    groups = {g.name: g.pk for g in AssignmentGroup.objects.all()}
    users = dict(User.objects.values_list("username", "pk"))
    ci_ids = {}
    for _, category, name in TEXTS:  # the CIs the incidents are on, with no support group: groups come from SQL
        site = {"BER": "ber", "SIN": "sin"}.get(name[:3])
        ci = do_create_ci({"name": name, "ci_class": CI_CLASSES[category], "site": site}, actor=system)
        ci_ids[name] = ci.pk
    return {
        "ci_ids": [ci_ids[t[2]] for t in TEXTS],
        "group_ids": [groups[name] for name, _ in GROUPS],
        "site_ids": [Site.objects.get(code=c).pk for c in site_codes],
        "agents": [[users[f"ag{gi:02d}_{k}"] for k in range(AGENTS_PER_GROUP)] for gi in range(len(GROUPS))],
        "callers": [users[f"rq{n:04d}"] for n in range(REQUESTERS)],
    }


def _lower_bounds(shares: list[float]) -> str:
    """`width_bucket(r, ARRAY[...])` thresholds: the running sum of shares, starting at 0."""
    bounds, acc = [], 0.0
    for share in shares:
        bounds.append(round(acc, 6))
        acc += share
    return "ARRAY[" + ",".join(map(str, bounds)) + "]::float8[]"


def _text_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _int_array(values: list[Any]) -> str:
    return "ARRAY" + json.dumps(values).replace(" ", "") + "::bigint[]"


def incident_insert_sql(opts: Options, ids: dict[str, Any]) -> str:
    """One INSERT ... SELECT over generate_series; the random draws of a row are taken once (MATERIALIZED)."""
    n_texts = len(TEXTS)
    return f"""
    WITH g AS MATERIALIZED (
      SELECT i, random() AS r_state, random() AS r_prio, random() AS r_group, random() AS r_site,
             random() AS r_age, random() AS r_agent, random() AS r_caller, random() AS r_text, random() AS r_hours
      FROM generate_series(1, {opts.incidents}) AS i
    ), d AS (
      SELECT g.*, width_bucket(r_state, {_lower_bounds(STATE_SHARES)}) AS si,
             width_bucket(r_prio, {_lower_bounds(PRIORITY_SHARES)}) AS pi,
             width_bucket(r_group, {_lower_bounds([s for _, s in GROUPS])}) AS gi,
             width_bucket(r_site, {_lower_bounds([s[3] for s in SITES])}) AS sti,
             1 + floor(r_text * {n_texts})::int AS ti,
             -- open incidents are recent (days to weeks); the rest spread over three years
             now() - CASE WHEN r_state < {sum(STATE_SHARES[:3])} THEN r_age * r_age * interval '90 days'
                          ELSE interval '7 days' + r_age * interval '3 years' END AS opened
      FROM g
    )
    INSERT INTO incidents_incident (number, short_description, description, state, impact, urgency, priority,
      category, ci_id, source, hold_reason, resolution_code, resolution_notes, cancel_reason, major_incident,
      time_worked_minutes, opened_at, updated_at, resolved_at, closed_at, reopen_count, assignee_id,
      assignment_group_id, caller_id, opened_by_id, site_id, resolved_by_id)
    SELECT 'INC' || lpad((1000 + i)::text, 7, '0'),
      ({_text_array([t[0] for t in TEXTS])})[ti],
      'Reported by the shift; see the journal for details.',
      ({_text_array(STATES)})[si],
      ({_int_array([iu[0] for iu in IMPACT_URGENCY])})[pi], ({_int_array([iu[1] for iu in IMPACT_URGENCY])})[pi], pi,
      ({_text_array([t[1] for t in TEXTS])})[ti], ({_int_array(ids["ci_ids"])})[ti],
      ({_text_array(["portal", "phone", "email", "event", "api"])})[1 + i % 5],
      CASE WHEN si = 3 THEN 'awaiting_vendor' ELSE '' END,
      CASE WHEN si IN (4, 5) THEN 'solved_fix' ELSE '' END,
      CASE WHEN si IN (4, 5) THEN 'Replaced the failed component and verified with the shift lead.' ELSE '' END,
      CASE WHEN si = 6 THEN 'Duplicate of an earlier report.' ELSE '' END,
      pi = 1 AND r_hours < 0.1, floor(r_hours * 240)::int,
      opened, opened + r_hours * interval '72 hours',
      CASE WHEN si IN (4, 5) THEN opened + r_hours * interval '72 hours' END,
      CASE WHEN si = 5 THEN opened + r_hours * interval '72 hours' + interval '5 days' END,
      0,
      CASE WHEN si = 1 AND r_agent >= 0.3 THEN NULL
           ELSE ({_int_array(ids["agents"])})[gi][1 + floor(r_agent * {AGENTS_PER_GROUP})::int] END,
      ({_int_array(ids["group_ids"])})[gi],
      ({_int_array(ids["callers"])})[1 + floor(r_caller * {REQUESTERS})::int],
      ({_int_array(ids["callers"])})[1 + floor(r_caller * {REQUESTERS})::int],
      ({_int_array(ids["site_ids"])})[sti],
      CASE WHEN si IN (4, 5) THEN ({_int_array(ids["agents"])})[gi][1 + floor(r_agent * {AGENTS_PER_GROUP})::int]
      END
    FROM d ORDER BY i
    """


JOURNAL_INSERT_SQL = f"""
    INSERT INTO core_journalentry (record_type, record_id, visibility, kind, body, author_id, created_at)
    SELECT 'incident', inc.id, CASE WHEN k % 2 = 1 THEN 'internal' ELSE 'public' END, 'note',
           ({_text_array(JOURNAL_BODIES)})[1 + ((inc.id + k) % {len(JOURNAL_BODIES)})::int],
           CASE WHEN k % 2 = 1 THEN coalesce(inc.assignee_id, inc.opened_by_id) ELSE inc.caller_id END,
           inc.opened_at + k * interval '3 hours'
    FROM incidents_incident inc
    CROSS JOIN LATERAL generate_series(1, 1 + (abs(hashint8(inc.id)) % 3)::int) AS k
"""


def generate_incidents(opts: Options, ids: dict[str, Any]) -> dict[str, float]:
    """Bulk-load with secondary indexes dropped and FK triggers off (ids come from real rows), then re-index."""
    timings: dict[str, float] = {}
    tables = ["incidents_incident", "core_journalentry"]
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET session_replication_role = replica")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with timed(timings, "incidents_s"):
            conn.execute("SELECT setseed(%s)", [(opts.seed % 1000) / 1000])
            conn.execute(incident_insert_sql(opts, ids))
        with timed(timings, "journal_s"):
            conn.execute(JOURNAL_INSERT_SQL)
        with timed(timings, "indexes_s"):
            for _, ddl in indexes:
                conn.execute(ddl)
        conn.execute(
            "UPDATE core_numbercounter SET last_value = "
            "(SELECT max(substr(number, 4)::bigint) FROM incidents_incident WHERE number LIKE 'INC%') "
            "WHERE prefix = 'INC'"
        )
        with timed(timings, "vacuum_analyze_s"):
            conn.execute("VACUUM ANALYZE incidents_incident")
            conn.execute("VACUUM ANALYZE core_journalentry")
        max_id = conn.execute("SELECT max(id) FROM incidents_incident").fetchone()
        conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        conn.execute("INSERT INTO bench_meta VALUES ('max_id', %s), ('incidents', %s), ('seed', %s)",
                     [str(max_id[0] if max_id else 0), str(opts.incidents), str(opts.seed)])  # fmt: skip
    return timings


def reset_to_generated(opts: Options) -> None:
    """On --reuse, remove what earlier create phases added, so every run measures the same data."""
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        meta = dict(conn.execute("SELECT key, value FROM bench_meta").fetchall())
        max_id = int(meta["max_id"])
        conn.execute("DELETE FROM core_journalentry WHERE record_type = 'incident' AND record_id > %s", [max_id])
        conn.execute("DELETE FROM incidents_incident WHERE id > %s", [max_id])
        conn.execute("UPDATE core_numbercounter SET last_value = (SELECT max(substr(number, 4)::bigint) "
                     "FROM incidents_incident) WHERE prefix = 'INC'")  # fmt: skip
        conn.execute("VACUUM ANALYZE incidents_incident")
        # The outbox (where the code has one) starts empty on every run: earlier creates left events in it.
        outbox = [
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE tablename IN ('core_eventdelivery', 'core_domainevent')"
            )
        ]
        if outbox:
            conn.execute(f"TRUNCATE {', '.join(sorted(outbox))}")


# ---------------------------------------------------------------------------------------------- in-process


def queue_page(user: Any) -> tuple[int, list[dict[str, Any]]]:
    """What the agent queue does: open incidents of my groups by priority then age, 50 rows and the count."""
    from plantdesk.core.pagination import bounded_count
    from plantdesk.incidents import queries, serializers
    from plantdesk.incidents.queries import open_in_my_groups

    qs = open_in_my_groups(user).order_by("priority", "opened_at", "id")
    count, _ = bounded_count(qs)
    # Page exactly as the API does: page_of() loads the related rows of the page in a few IN (...) queries;
    # plain slicing is the older code path (select_related inside the queryset).
    page_of = getattr(queries, "page_of", None)
    page = list(page_of(qs, 0, 50) if page_of else qs[:50])
    if hasattr(serializers, "incidents_to_dicts"):  # with SLA clocks, loaded for the whole page
        return count, serializers.incidents_to_dicts(page)
    return count, [serializers.incident_to_dict(i) for i in page]


def measure_queue_in_process(opts: Options) -> list[Result]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plantdesk.accounts.models import User

    results = []
    for username, *_ in QUEUE_USERS:
        user = User.objects.get(username=username)
        for _ in range(10):  # warm-up: plans, caches, buffers
            queue_page(user)
        with CaptureQueriesContext(connection) as queries:
            count, _rows = queue_page(user)
        samples = _repeat(lambda u=user: queue_page(u), opts.queue_iterations, max_seconds=60)
        results.append(Result(f"queue in-process {username}", samples, TARGETS["queue_ms_p95"],
                              {"count": count, "queries": len(queries)}))  # fmt: skip
        if opts.explain:
            explain_queue(user)
    return results


def explain_queue(user: Any) -> None:
    from django.db import connection

    from plantdesk.incidents.queries import open_in_my_groups

    qs = open_in_my_groups(user).order_by("priority", "opened_at", "id")
    for label, query in (("page", qs[:50]), ("count", qs.order_by()[:10001])):
        sql, params = query.query.sql_with_params()
        if label == "count":
            sql = f"SELECT count(*) FROM ({sql}) AS sub"
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n--- EXPLAIN ANALYZE queue {label} for {user.username}\n{plan}")


def _repeat(call: Callable[[], Any], count: int, *, max_seconds: float) -> list[float]:
    """Time `call` up to `count` times, and stop early at `max_seconds`."""
    samples: list[float] = []
    deadline = time.monotonic() + max_seconds
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
        if time.monotonic() > deadline:
            break
    return samples


def make_tokens() -> dict[str, str]:
    from plantdesk.accounts.actions import do_create_token, get_system_user
    from plantdesk.accounts.models import User

    system = get_system_user()
    names = [u[0] for u in QUEUE_USERS] + ["bench_api"]
    return {u.username: do_create_token(u, actor=system, name="bench") for u in User.objects.filter(username__in=names)}


# ---------------------------------------------------------------------------------------------- over HTTP


@contextlib.contextmanager
def serve(env: dict[str, str], workers: int, threads: int, port: int = 8765, cli: Path | None = None) -> Iterator[str]:
    """`plantdesk serve` (of this checkout, or the `plantdesk` executable `cli`) until the block ends."""
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()  # noqa: SIM115 - outlives this frame: the server writes to it until stopped
    cmd = [str(cli or BIN / "plantdesk"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
           "--threads", str(threads)]  # fmt: skip
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"plantdesk serve exited: {log.read().decode()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("plantdesk serve did not come up within 60 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _timed_get(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} -> {response.status_code}: {response.text[:300]}")
    return elapsed


def measure_http_reads(opts: Options, base: str, tokens: dict[str, str]) -> list[Result]:
    results = []
    for username, group in (("q_sd_ber", "Service Desk"), ("q_mes_ot", "MES Support"), ("q_lab", "Lab Systems")):
        url = f"/api/v1/incidents?assignment_group={group}&state={OPEN_STATES}&limit=50"
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[username]}"}) as client:
            for _ in range(5):
                _timed_get(client, url)
            samples = _repeat(lambda c=client, u=url: _timed_get(c, u), opts.queue_iterations, max_seconds=60)
            count = client.get(url).json()["count"]
        results.append(Result(f"queue HTTP API {group} ({username})", samples, TARGETS["queue_ms_p95"],
                              {"count": count}))  # fmt: skip
    rng = random.Random(opts.seed)
    numbers = [f"INC{1000 + rng.randint(1, opts.incidents):07d}" for _ in range(opts.get_requests + 20)]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['q_mgr']}"}) as client:
        for number in numbers[:20]:
            _timed_get(client, f"/api/v1/incidents/{number}")
        it = iter(numbers[20:])
        samples = _repeat(lambda: _timed_get(client, f"/api/v1/incidents/{next(it)}"), opts.get_requests,
                          max_seconds=60)  # fmt: skip
    results.append(Result("GET /api/v1/incidents/{number}", samples, TARGETS["get_ms_p95"]))
    ui = measure_ui_queue(opts, base)
    if ui is not None:
        results.append(ui)
    return results


def measure_ui_queue(opts: Options, base: str) -> Result | None:
    """The UI queue is being built in parallel: measure it if a logged-in page at / or /incidents/ lists incidents."""
    with httpx.Client(base_url=base, follow_redirects=True) as client:
        client.get("/login/")
        csrf = client.cookies.get("csrftoken", "")
        client.post("/login/", data={"username": "q_mes_ot", "password": UI_PASSWORD, "csrfmiddlewaretoken": csrf},
                    headers={"Referer": f"{base}/login/"})  # fmt: skip
        # ?view=my_groups is the UI queue's "Open in my groups" tab (the same query as in-process).
        for path in ("/incidents/?view=my_groups", "/incidents/", "/"):
            page = client.get(path)
            if page.status_code == 200 and "INC" in page.text and "/login/" not in str(page.url):
                for _ in range(5):
                    _timed_get(client, path)
                samples = _repeat(lambda c=client, p=path: _timed_get(c, p), opts.queue_iterations, max_seconds=60)
                return Result(f"queue HTTP UI {path} (q_mes_ot)", samples, TARGETS["queue_ms_p95"])
    print("  UI queue: no page at / or /incidents/ lists incidents yet; not measured")
    return None


def _create_payload(rng: random.Random) -> str:
    text, category, ci = rng.choice(TEXTS)
    payload = {"short_description": text, "category": category, "ci": ci,
               "caller": f"rq{rng.randrange(REQUESTERS):04d}", "assignment_group": rng.choice(GROUPS)[0],
               "impact": rng.randint(1, 3), "urgency": rng.randint(1, 3), "source": "phone"}  # fmt: skip
    return json.dumps(payload)


def _post_creates(base: str, token: str, seed: int, count: int, deadline: float) -> tuple[list[float], list[str]]:
    """`count` creates one after the other on one kept-alive http.client connection; the latency of each."""
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        body = _create_payload(rng)
        start = time.perf_counter()
        conn.request("POST", "/api/v1/incidents", body=body, headers=headers)
        response = conn.getresponse()
        answer = response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 201:
            errors.append(f"{response.status}: {answer[:200]!r}")
    conn.close()
    return latencies, errors


def _create_client(base: str, token: str, seed: int, count: int, deadline: float, out: Any) -> None:
    """One load-generating client in its own process: a kept-alive http.client connection, no GIL shared
    with the other clients, and as little client CPU as Python allows (the server shares these 2 cores)."""
    out.put(_post_creates(base, token, seed, count, deadline))


SEQUENTIAL_WARMUP = 20


def measure_sequential_creates(opts: Options, base: str, token: str, label: str) -> Result:
    """One client, one create at a time: the latency a user waits for, without queueing behind other clients.
    The first SEQUENTIAL_WARMUP creates (connections, caches, plans of each server worker) are not counted."""
    deadline = time.monotonic() + 120
    _post_creates(base, token, opts.seed * 100 + 99, SEQUENTIAL_WARMUP, deadline)
    latencies, errors = _post_creates(base, token, opts.seed * 100 + 98, opts.sequential, deadline)
    if errors:
        print(f"  ! {len(errors)} failed creates, first: {errors[0]}")
    return Result(f"POST create sequential {label}, 1 client", latencies, None, {"errors": len(errors)})


def measure_creates(opts: Options, base: str, token: str, label: str) -> Result:
    """`clients` processes POST incidents until the time or count bound, whichever comes first."""
    from django.db import connections

    connections.close_all()  # the forked clients must not inherit this process's database connection
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    deadline = time.monotonic() + opts.create_seconds
    per_client = max(1, opts.create_max // opts.clients)
    started = time.perf_counter()
    clients = [
        context.Process(target=_create_client, args=(base, token, opts.seed * 100 + i, per_client, deadline, out))
        for i in range(opts.clients)
    ]
    for client in clients:
        client.start()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in clients:
        mine, failed = out.get(timeout=opts.create_seconds + 120)
        latencies.extend(mine)
        errors.extend(failed)
    elapsed = time.perf_counter() - started
    for client in clients:
        client.join(timeout=30)
    if errors:
        print(f"  ! {len(errors)} failed creates, first: {errors[0]}")
    ok = len(latencies) - len(errors)
    rate = round(ok / elapsed, 1)
    return Result(f"POST create {label}, {opts.clients} clients", latencies, None,
                  {"creates_per_s": rate, "errors": len(errors), "seconds": round(elapsed, 1)})  # fmt: skip


# ---------------------------------------------------------------------------------------------- report


def print_table(results: list[Result]) -> None:
    print(f"\n{'measurement':<52} {'n':>6} {'median':>8} {'p95':>8} {'p99':>8}  {'target':<16} notes")
    for r in results:
        s = r.stats()
        if r.target_p95_ms is None and "creates_per_s" not in s:
            target, notes = "-", ", ".join(f"{k}={v}" for k, v in r.extra.items())
        elif "creates_per_s" in s:
            met = "met" if s["creates_per_s"] >= TARGETS["creates_per_s"] else "MISSED"
            target = f">=300/s {met}"
            notes = f"{s['creates_per_s']}/s, {s['errors']} errors"
        else:
            target = f"p95<={r.target_p95_ms:g}ms {'met' if s['p95_ms'] <= r.target_p95_ms else 'MISSED'}"
            notes = ", ".join(f"{k}={v}" for k, v in r.extra.items())
        print(f"{r.name:<52} {s['n']:>6} {s['median_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8}  {target:<16} {notes}")


def write_json(opts: Options, results: list[Result], setup: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    path = RESULTS_DIR / f"incidents-{now:%Y%m%dT%H%M%SZ}.json"
    doc = {"at": now.isoformat(), "incidents": opts.incidents, "seed": opts.seed, "setup": setup,
           "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
           "load_average": os.getloadavg(), "results": {r.name: r.stats() for r in results}}  # fmt: skip
    path.write_text(json.dumps(doc, indent=2))
    return path


def run(opts: Options, home: Path) -> None:
    env = plantdesk_env(opts.db, home)
    setup: dict[str, Any] = {"code": code_state()}  # taken at the start: the servers load the code as it is now
    setup["event_consumers"] = os.environ.get("PLANTDESK_EVENT_CONSUMERS", "")  # outbox deliveries per create
    if opts.reuse:
        migrate(env)  # a kept database gets the schema (e.g. new indexes) of the code measured now
        setup_django(env)
        reset_to_generated(opts)
    else:
        admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
        admin_execute(f'CREATE DATABASE "{opts.db}"')
        started = time.perf_counter()
        migrate(env)
        setup_django(env)
        ids = create_people()
        setup["people_s"] = round(time.perf_counter() - started, 1)
        print(
            f"set-up: database migrated, people created in {setup['people_s']} s; generating {opts.incidents} incidents"
        )
        setup.update(generate_incidents(opts, ids))
        setup["total_s"] = round(time.perf_counter() - started, 1)
        print(f"generation: {setup}")
    tokens = make_tokens()
    results = measure_queue_in_process(opts) if opts.only == "all" else []
    from django.db import connection

    connection.close()  # the servers must not wait on this process's idle transaction or connection
    w, t = opts.server_configs[0]
    if opts.only == "all" or opts.sequential:
        with serve(env, w, t) as base:
            if opts.only == "all":
                results += measure_http_reads(opts, base, tokens)
            if opts.sequential:
                results.append(measure_sequential_creates(opts, base, tokens["bench_api"], f"{w}x{t}"))
    for w, t in opts.server_configs if opts.clients else []:
        with serve(env, w, t) as base:
            results.append(measure_creates(opts, base, tokens["bench_api"], f"{w} workers x {t} threads"))
    print_table(results)
    report_footer(setup["code"], write_json(opts, results, setup) if opts.json else None)


def main() -> None:
    opts = parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # Django's logging config would log every request
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
