"""Event ingest benchmark (issue 5): PlantDesk and Alerta side by side in one run, fed the same events, on
this machine's PostgreSQL (127.0.0.1:5432) and a private Mosquitto (docs/performance.md has the method and
figures).

PlantDesk: its own scratch database, `plantdesk ingest mqtt` subscribed to a private broker, `plantdesk worker`
processing the inbox into alerts, `plantdesk serve` for REST. Alerta: alerta-server from PyPI in
.bench/alerta-venv (installed on first use), its own database, gunicorn with 2 workers, fed over
`POST /alert` (Alerta has no MQTT input and no batch endpoint: concurrent single posts).

Phases, for each system in turn (never both at once: they share 2 cores):
  sustained  5,000 events/s for --duration s, 95 % repeats over 5,000 open keys (PlantDesk: QoS 1 MQTT
             publishes from a separate process; Alerta: 32 connections posting as fast as it answers)
  storm      50,000 events from 10,000 devices, meant for 10 s, starting half-way through the sustained load
  rest       POST batches of 500 and single events at 32 connections for --rest-seconds each

    .venv/bin/python bench/events.py                          # the full run (about 17 minutes)
    .venv/bin/python bench/events.py --duration 20 --storm-events 5000 --rest-seconds 10   # smoke run
    .venv/bin/python bench/events.py --only plantdesk --profile   # py-spy of ingest and worker
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg

import events_alerta
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
from events_load import Mix, event_id, factory, hot_keys, http_load, mix_keys, native_event, publish_paced, storm_keys
from events_procs import (
    Children,
    Sampler,
    VisibilityProbe,
    collect,
    free_port,
    merged,
    profile,
    start_mosquitto,
    summarise_profile,
    wait_port,
)

TARGETS = {"sustained_rate": 5000.0, "durable_p99_ms": 250.0, "storm_drain_s": 15.0}
INTEGRATION = "bench-mes"
HTTP_PROCESSES = 2  # client processes of the HTTP loads (asyncio, several connections each)


@dataclass
class Options:
    db: str
    seed: int
    keep: bool
    reuse: bool
    json: bool
    duration: float
    rate: float
    storm_events: int
    storm_seconds: float
    rest_seconds: float
    batch: int
    batch_connections: int
    connections: int
    only: str
    profile: bool
    ingest_connections: int
    probe: bool

    @property
    def db_url(self) -> str:
        return f"{PG_SERVER}/{self.db}"

    @property
    def alerta_db(self) -> str:
        return f"{self.db}_alerta"


def parse_args() -> Options:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    standard_arguments(p, "plantdesk_bench_events")
    p.add_argument("--duration", type=float, default=300.0, help="seconds of sustained load per system")
    p.add_argument("--rate", type=float, default=5000.0, help="sustained events per second (MQTT)")
    p.add_argument("--storm-events", type=int, default=50_000, help="storm size (devices: a fifth of it)")
    p.add_argument("--storm-seconds", type=float, default=10.0, help="the storm is published within this time")
    p.add_argument("--rest-seconds", type=float, default=30.0, help="seconds per REST phase")
    p.add_argument("--batch", type=int, default=500, help="events per REST batch")
    p.add_argument("--batch-connections", type=int, default=4)
    p.add_argument("--connections", type=int, default=32, help="concurrent connections of single-event loads")
    p.add_argument("--only", choices=["both", "plantdesk", "alerta"], default="both")
    p.add_argument("--profile", action="store_true", help="py-spy the ingest, the worker and the server")
    p.add_argument("--ingest-connections", type=int, default=1, help="`plantdesk ingest mqtt --connections`")
    p.add_argument("--probe", action="store_true",
                   help="also poll for 1 in 50 event ids until committed (costs the database a little)")  # fmt: skip
    a = p.parse_args()
    if not a.db.replace("_", "").isalnum():
        p.error("--db must be a plain identifier")
    if a.reuse:
        p.error("--reuse: every run starts from an empty database here")
    return Options(a.db, a.seed, a.keep, False, a.json, a.duration, a.rate, a.storm_events, a.storm_seconds,
                   a.rest_seconds, a.batch, a.batch_connections, a.connections, a.only, a.profile,
                   a.ingest_connections, a.probe)  # fmt: skip


def stats_ms(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "median": percentile(s, 0.5), "p95": percentile(s, 0.95), "p99": percentile(s, 0.99),
            "max": round(s[-1], 1) if s else float("nan")}  # fmt: skip


def fmt(st: dict[str, Any]) -> str:
    return f"median {st['median']}, p95 {st['p95']}, p99 {st['p99']}, max {st['max']} ms (n={st['n']})"


def check_counts(sent: Counter[str], found: dict[str, tuple[int, int]], prefix: str) -> dict[str, int]:
    """Alerts per key and the events they count, against what was acknowledged to the sender."""
    keys = [k for k in sent if k.startswith(prefix)]
    missing = sum(1 for k in keys if k not in found)
    not_one = sum(1 for k in keys if k in found and found[k][0] != 1)
    wrong = sum(1 for k in keys if k in found and found[k][1] != sent[k])
    return {"keys": len(keys), "events": sum(sent[k] for k in keys), "missing_keys": missing,
            "keys_not_one_alert": not_one, "keys_wrong_count": wrong,
            "counted": sum(found[k][1] for k in keys if k in found)}  # fmt: skip


def http_phase(children: Children, label: str, port: int, path: str, token: str, kind: str, keys_of: Any,
               tag: str, batch: int, connections: int, seconds: float, ok: int) -> dict[str, Any]:  # fmt: skip
    """One HTTP load over HTTP_PROCESSES client processes; `keys_of(part)` gives each process its keys."""
    out = children.context.Queue()
    start = time.time() + 1.0
    procs = min(HTTP_PROCESSES, connections)
    for part in range(procs):
        make = factory(kind, keys_of(part), f"{tag}{part}", batch)
        children.fork(http_load, label, port, path, token, make, ok, connections // procs, seconds, start, out)
    reports = collect(out, procs, seconds + 120, label)
    lat = [x for r in reports for x in r.latencies_ms]
    elapsed = max(r.seconds for r in reports)
    events_ok = sum(r.events_ok for r in reports)
    failed = sum(r.failed for r in reports)
    errors = [r.first_error for r in reports if r.first_error]
    result = {"label": label, "events_ok": events_ok, "failed": failed, "seconds": round(elapsed, 1),
              "events_per_s": round(events_ok / elapsed, 1) if elapsed else 0.0,
              "requests": sum(r.requests for r in reports), "latency_ms": stats_ms(lat),
              "first_error": errors[0] if errors else "", "per_key": merged(reports)}  # fmt: skip
    print(
        f"  {label}: {result['events_per_s']} events/s ({events_ok} ok, {failed} failed in {result['seconds']} s), "
        f"request {fmt(result['latency_ms'])}" + (f"; first error: {errors[0][:200]}" if errors else "")
    )
    return result


def public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "per_key"}


# ---------------------------------------------------------------------------------------------- PlantDesk


def command_exists(env: dict[str, str], name: str) -> bool:
    done = subprocess.run([str(BIN / "plantdesk"), "help", name], env=env, capture_output=True, text=True, timeout=120)
    return done.returncode == 0


def ingest_command(env: dict[str, str], port: int, connections: int) -> list[str]:
    done = subprocess.run([str(BIN / "plantdesk"), "ingest", "mqtt", "--help"], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"`plantdesk ingest mqtt` is not there yet:\n{done.stderr[-1500:]}")
    cmd = [str(BIN / "plantdesk"), "ingest", "mqtt", "--host", "127.0.0.1", "--port", str(port)]
    if "--account" in done.stdout:
        cmd += ["--account", INTEGRATION]
    if "--connections" in done.stdout:
        cmd += ["--connections", str(connections)]
    return cmd


def processor_command(env: dict[str, str]) -> list[str]:
    if command_exists(env, "process-events"):
        return [str(BIN / "plantdesk"), "process-events"]
    return [str(BIN / "plantdesk"), "worker"]


def make_integration_token() -> str:
    from plantdesk.accounts.actions import do_create_token, do_create_user, get_system_user

    system = get_system_user()
    user = do_create_user(INTEGRATION, role="requester", actor=system, is_integration=True)
    return do_create_token(user, actor=system, name="bench")


def inbox_rows(conn: psycopg.Connection[Any], tag_like: str) -> int:
    row = conn.execute("SELECT count(*) FROM events_inboxevent WHERE idempotency_key LIKE %s", [tag_like]).fetchone()
    return int(row[0]) if row else 0


def wait_for_inbox(db_url: str, tag_like: str, expected: int, seconds: float) -> int:
    """Poll for `expected` rows of `tag_like` (a scan: only while the inbox is small)."""
    deadline = time.monotonic() + seconds
    with psycopg.connect(db_url, autocommit=True) as conn:
        while (got := inbox_rows(conn, tag_like)) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return got


def wait_for_ids(db_url: str, expected: int, seconds: float, stalled: float = 30.0) -> int:
    """Until the inbox has handed out `expected` ids (every event id is new, so each accepted event takes one;
    reading the sequence costs nothing, unlike counting a growing inbox), nothing new came for `stalled`
    seconds, or `seconds` are over."""
    deadline = time.monotonic() + seconds
    last, last_change = -1, time.monotonic()
    with psycopg.connect(db_url, autocommit=True) as conn:
        while True:
            handed = ids_handed_out(conn)
            if handed != last:
                last, last_change = handed, time.monotonic()
            now = time.monotonic()
            if handed >= expected or now > deadline or now - last_change > stalled:
                return handed
            time.sleep(0.5)


def ids_handed_out(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT last_value FROM events_inboxevent_id_seq").fetchone()
    return int(row[0]) if row else 0


def wait_drained(db_url: str, seconds: float) -> tuple[int, float]:
    """Until no accepted row is left (bounded); returns the backlog left and the seconds waited."""
    start = time.monotonic()
    with psycopg.connect(db_url, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT count(*) FROM events_inboxevent WHERE status = 'accepted'").fetchone()
            backlog = int(row[0]) if row else 0
            if backlog == 0 or time.monotonic() - start > seconds:
                return backlog, round(time.monotonic() - start, 1)
            time.sleep(0.5)


INBOX_STATS = """
SELECT count(*),
  count(*) FILTER (WHERE status = 'processed'),
  percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY
    extract(epoch FROM received_at) * 1000 - split_part(idempotency_key, '-', 3)::bigint / 1000.0),
  max(extract(epoch FROM received_at) * 1000 - split_part(idempotency_key, '-', 3)::bigint / 1000.0),
  percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at) * 1000)
    FILTER (WHERE processed_at IS NOT NULL),
  max(extract(epoch FROM processed_at - received_at) * 1000),
  extract(epoch FROM max(processed_at)), extract(epoch FROM max(received_at)),
  count(*) FILTER (WHERE status = 'dead')
FROM events_inboxevent WHERE idempotency_key LIKE %s
"""


def inbox_stats(conn: psycopg.Connection[Any], tag: str) -> dict[str, Any]:
    row = conn.execute(INBOX_STATS, [f"{tag}%"]).fetchone()
    assert row is not None
    n, processed, durable, durable_max, proc, proc_max, last_processed, last_received, dead = row

    def trio(values: list[float] | None, top: float | None) -> dict[str, Any]:
        if not values:
            return {}
        return {"median": round(float(values[0]), 1), "p95": round(float(values[1]), 1),
                "p99": round(float(values[2]), 1), "max": round(float(top or 0), 1)}  # fmt: skip

    return {"rows": n, "processed": processed, "dead": dead, "durable_ms": trio(durable, durable_max),
            "processing_ms": trio(proc, proc_max), "last_processed_wall": float(last_processed or 0),
            "last_received_wall": float(last_received or 0)}  # fmt: skip


DURABLE_BEFORE = """
SELECT count(*), percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY
    extract(epoch FROM received_at) * 1000 - split_part(idempotency_key, '-', 3)::bigint / 1000.0)
FROM events_inboxevent WHERE idempotency_key LIKE %s AND split_part(idempotency_key, '-', 3)::bigint < %s
"""


def durable_before(conn: psycopg.Connection[Any], tag: str, wall: float) -> dict[str, Any]:
    """Publish -> received_at of the events of `tag` sent before `wall` (the storm's start)."""
    row = conn.execute(DURABLE_BEFORE, [f"{tag}%", int(wall * 1_000_000)]).fetchone()
    if not row or not row[1]:
        return {}
    return {"n": row[0], "median": round(float(row[1][0]), 1), "p95": round(float(row[1][1]), 1),
            "p99": round(float(row[1][2]), 1)}  # fmt: skip


def alert_counts(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, int]]:
    rows = conn.execute("SELECT dedup_key, count(*), sum(count) FROM events_alert GROUP BY dedup_key").fetchall()
    return {key: (int(n), int(total)) for key, n, total in rows}


def run_plantdesk(opts: Options, env: dict[str, str], children: Children, tmp: Path) -> dict[str, Any]:
    print("PlantDesk: database, migrate, integration account")
    admin_execute(f'DROP DATABASE IF EXISTS "{opts.db}" WITH (FORCE)')
    admin_execute(f'CREATE DATABASE "{opts.db}"')
    migrate(env)
    setup_django(env)
    token = make_integration_token()
    from django.db import connections

    connections.close_all()  # forked generators must not share this connection
    mqtt_port = start_mosquitto(children, tmp)
    ingest = children.start("ingest", ingest_command(env, mqtt_port, opts.ingest_connections), env=env)
    worker = children.start("worker", processor_command(env), env=env)
    out = children.context.Queue()
    probes = children.context.Queue()
    # Warm-up: events through the whole path until one lands, so the timings start with a subscribed ingest.
    warm = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-warm-up")
    warm.connect("127.0.0.1", mqtt_port)
    warm.loop_start()
    try:
        for attempt in range(60):
            payload = json.dumps(native_event("warm:0", event_id("warm", attempt)))
            warm.publish("plantdesk/events/bench/warm", payload, qos=1).wait_for_publish(10)
            if wait_for_inbox(opts.db_url, "warm-%", 1, 1.0) >= 1:
                break
            children.check("ingest")
        else:
            raise RuntimeError(f"no warm-up event reached the inbox in 60 s:\n{children.log_tail('ingest')}")
    finally:
        warm.loop_stop()
        warm.disconnect()
    sent: Counter[str] = Counter()

    # Sustained MQTT load with the storm half-way through, from two publisher processes.
    total = int(opts.rate * opts.duration)
    start = time.time() + 2.0
    storm_at = start + opts.duration / 2
    storm = storm_keys("storm", opts.seed)[: opts.storm_events]
    storm_rate = opts.storm_events / opts.storm_seconds
    print(f"PlantDesk: sustained {opts.rate:.0f}/s for {opts.duration:.0f} s over MQTT, storm of {len(storm)} at "
          f"+{opts.duration / 2:.0f} s")  # fmt: skip
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        ids_before = ids_handed_out(conn)
    keys = mix_keys(Mix("mq", opts.seed, hot_first=True), total)
    probe_queue = probes if opts.probe else None
    children.fork(publish_paced, mqtt_port, "mq", keys, opts.rate, opts.duration, start, probe_queue, 50, out)
    children.fork(publish_paced, mqtt_port, "storm", iter(storm), storm_rate, opts.storm_seconds + 30, storm_at,
                  None, 1, out)  # fmt: skip
    probe = VisibilityProbe(opts.db_url, probes)
    sampler = Sampler(opts.db_url)
    if opts.probe:
        probe.start()
    sampler.start()
    if opts.profile:
        time.sleep(max(0.0, start + 10 - time.time()))
        seconds = int(min(60, opts.duration / 3))
        profile(children, "ingest", ingest.pid, seconds, RESULTS_DIR / "events-profile-ingest.txt")
        profile(children, "worker", worker.pid, seconds, RESULTS_DIR / "events-profile-worker.txt")
    reports = {r.tag: r for r in collect(out, 2, opts.duration + opts.storm_seconds + 150, "MQTT publishers")}
    for r in reports.values():
        if r.error:
            raise RuntimeError(f"publisher {r.tag}: {r.error}")
        sent.update(r.per_key)
    probe.stop_event.set()
    mq, st = reports["mq"], reports["storm"]
    print(
        f"  published: sustained {mq.published} ({mq.acked} acked by the broker, at most "
        f"{mq.behind_max_s:.2f} s behind schedule), storm {st.published} ({st.acked} acked)"
    )
    wait_for_ids(opts.db_url, ids_before + mq.published + st.published, 1800)
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        got, got_storm = inbox_rows(conn, "mq-%"), inbox_rows(conn, "storm-%")
    backlog, waited = wait_drained(opts.db_url, 900)
    sampler.stop_event.set()
    if opts.probe:
        probe.join(timeout=70)
    children.check("ingest")
    children.check("worker")

    results: dict[str, Any] = {"mqtt_port_config": "private mosquitto, max_inflight_messages 5000"}
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        sustained = inbox_stats(conn, "mq-")
        sustained["durable_ms_before_storm"] = durable_before(conn, "mq-", reports["storm"].first_wall)
        storm_stats = inbox_stats(conn, "storm-")
    elapsed = mq.last_wall - mq.first_wall
    sustained.update(published=mq.published, acked=mq.acked, in_inbox=got, lost=mq.published - got,
                     publish_rate=round(mq.published / elapsed, 1) if elapsed else 0.0,
                     behind_max_s=round(mq.behind_max_s, 2), visible_ms=stats_ms(probe.latencies_ms),
                     visible_missing=probe.missing(), drain_wait_s=waited, backlog_left=backlog)  # fmt: skip
    storm_stats.update(published=st.published, in_inbox=got_storm, lost=st.published - got_storm,
                       publish_seconds=round(st.last_wall - st.first_wall, 1),
                       drained_after_start_s=round(storm_stats["last_processed_wall"] - st.first_wall, 1),
                       drained_after_last_publish_s=round(storm_stats["last_processed_wall"] - st.last_wall, 1),
                       )  # fmt: skip
    results["sustained"] = sustained
    results["storm"] = storm_stats
    results["backlog"] = backlog_series(sampler.samples, start)
    print(
        f"  sustained: {sustained['publish_rate']}/s published, {got}/{mq.published} in the inbox; publish -> "
        f"received_at {sustained['durable_ms']} (before the storm: {sustained['durable_ms_before_storm']}); "
        f"publish -> visible {fmt(sustained['visible_ms'])}; "
        f"received -> processed {sustained['processing_ms']}"
    )
    print(
        f"  storm: {got_storm}/{st.published} in the inbox, published in {storm_stats['publish_seconds']} s, "
        f"all processed {storm_stats['drained_after_start_s']} s after its start"
    )
    print(
        f"  backlog (accepted, not processed), max {results['backlog']['max']} at +{results['backlog']['max_at_s']} s"
    )

    # REST against a real `plantdesk serve`.
    serve_port = free_port()
    children.start("serve", [str(BIN / "plantdesk"), "serve", "--bind", f"127.0.0.1:{serve_port}", "--workers",
                             "2", "--threads", "1"], env=env)  # fmt: skip
    wait_port(serve_port, 60)
    if opts.profile:
        profile(children, "serve", children.running["serve"].pid, int(opts.rest_seconds),
                RESULTS_DIR / "events-profile-serve.txt")  # fmt: skip
    path = "/api/v1/events"
    for tag in ("rb", "rs"):  # the hot keys once each, so the measured loads repeat open keys
        warm_http = http_phase(children, f"warm-up {tag}", serve_port, path, token, "native",
                               lambda part, t=tag: iter(hot_keys(t)[part::HTTP_PROCESSES]), f"w{tag}", 100, 8, 120,
                               202)  # fmt: skip
        sent.update(warm_http["per_key"])
    batch = http_phase(children, f"REST batches of {opts.batch}", serve_port, path, token, "native",
                       lambda part: mix_keys(Mix("rb", opts.seed, hot_first=False, part=part), 10**8), "rb",
                       opts.batch, opts.batch_connections, opts.rest_seconds, 202)  # fmt: skip
    single = http_phase(children, f"REST single events, {opts.connections} connections", serve_port, path, token,
                        "native", lambda part: mix_keys(Mix("rs", opts.seed, hot_first=False, part=part), 10**8),
                        "rs", 1, opts.connections, opts.rest_seconds, 202)  # fmt: skip
    sent.update(batch["per_key"])
    sent.update(single["per_key"])
    children.stop("serve")
    backlog, waited = wait_drained(opts.db_url, 300)
    with psycopg.connect(opts.db_url, autocommit=True) as conn:
        results["rest_batch"] = {**public(batch), "inbox": inbox_stats(conn, "rb")}
        results["rest_single"] = {**public(single), "inbox": inbox_stats(conn, "rs")}
        found = alert_counts(conn)
    results["rest_drain"] = {"backlog_left": backlog, "waited_s": waited}
    results["counts"] = {prefix: check_counts(sent, found, prefix)
                         for prefix in ("mq:hot", "mq:new", "storm:", "rb:", "rs:")}  # fmt: skip
    for prefix, c in results["counts"].items():
        print(f"  counts {prefix}: {c}")
    for name in ("ingest", "worker"):
        children.stop(name)
    children.stop("mosquitto")
    if opts.profile:
        for name in ("ingest", "worker", "serve"):
            print(f"  profile {name}:\n    " + "\n    ".join(summarise_profile(
                RESULTS_DIR / f"events-profile-{name}.txt")))  # fmt: skip
    return results


def backlog_series(samples: list[tuple[float, int, int]], start: float) -> dict[str, Any]:
    """The backlog over time (every 10 s) and the rate ids were handed out per 10 s window."""
    series = []
    for i in range(0, len(samples), 10):
        t, last, backlog = samples[i]
        prev = samples[i - 10] if i >= 10 else None
        rate = round((last - prev[1]) / (t - prev[0]), 0) if prev else None
        series.append({"at_s": round(t - start, 0), "backlog": backlog, "received_per_s": rate})
    top = max(samples, key=lambda s: s[2]) if samples else (start, 0, 0)
    return {"max": top[2], "max_at_s": round(top[0] - start, 0), "every_10_s": series}


# ---------------------------------------------------------------------------------------------- Alerta


def run_alerta(opts: Options, children: Children, tmp: Path) -> dict[str, Any]:
    events_alerta.ensure_venv()
    admin_execute(f'DROP DATABASE IF EXISTS "{opts.alerta_db}" WITH (FORCE)')
    admin_execute(f'CREATE DATABASE "{opts.alerta_db}"')
    config = events_alerta.write_config(tmp, opts.alerta_db)
    port = free_port()
    cmd, env = events_alerta.server_command(config, port, 2, children.max_seconds)
    server = children.start("alerta", cmd, env={**env, "HOME": str(tmp)}, cwd=tmp, bounded=False)
    events_alerta.wait_up(port, server, children.logs / "alerta.log")
    version = events_alerta.version()
    print(f"Alerta {version}: gunicorn, 2 sync workers, on 127.0.0.1:{port}")
    results: dict[str, Any] = {"version": version}
    sent: Counter[str] = Counter()
    if opts.profile:
        profile(children, "alerta", server.pid, int(min(60, opts.duration / 3)),
                RESULTS_DIR / "events-profile-alerta.txt")  # fmt: skip
    for tag in ("aq", "ars"):
        warm = http_phase(children, f"warm-up {tag}", port, "/alert", "", "alerta",
                          lambda part, t=tag: iter(hot_keys(t)[part::HTTP_PROCESSES]), f"w{tag}", 1, 8, 300,
                          201)  # fmt: skip
        sent.update(warm["per_key"])
    # Sustained (as fast as it answers) with the storm's own connections joining half-way.
    out = children.context.Queue()
    start = time.time() + 1.0
    conns = opts.connections // HTTP_PROCESSES
    for part in range(HTTP_PROCESSES):
        make = factory("alerta", mix_keys(Mix("aq", opts.seed, hot_first=False, part=part), 10**8), f"aq{part}", 1)
        children.fork(http_load, "sustained", port, "/alert", "", make, 201, conns, opts.duration, start, out)
    storm = storm_keys("astorm", opts.seed)[: opts.storm_events]
    storm_seconds = max(2 * opts.duration, 120.0)  # a bound, not the storm's schedule: it goes as fast as it is taken
    for part in range(HTTP_PROCESSES):
        make = factory("alerta", iter(storm[part::HTTP_PROCESSES]), f"astorm{part}", 1)
        children.fork(http_load, "storm", port, "/alert", "", make, 201, conns, storm_seconds,
                      start + opts.duration / 2, out)  # fmt: skip
    print(f"Alerta: sustained for {opts.duration:.0f} s at {opts.connections} connections, storm of {len(storm)} "
          f"at +{opts.duration / 2:.0f} s on {opts.connections} more")  # fmt: skip
    reports = collect(out, 2 * HTTP_PROCESSES, opts.duration / 2 + storm_seconds + 150, "Alerta loads")
    for label in ("sustained", "storm"):
        mine = [r for r in reports if r.label == label]
        sent.update(merged(mine))
        elapsed = max(r.seconds for r in mine)
        ok = sum(r.events_ok for r in mine)
        errors = [r.first_error for r in mine if r.first_error]
        results[label] = {"events_ok": ok, "failed": sum(r.failed for r in mine), "seconds": round(elapsed, 1),
                          "events_per_s": round(ok / elapsed, 1) if elapsed else 0.0,
                          "latency_ms": stats_ms([x for r in mine for x in r.latencies_ms]),
                          "first_error": errors[0] if errors else ""}  # fmt: skip
        print(
            f"  {label}: {results[label]['events_per_s']} events/s ({ok} ok, {results[label]['failed']} failed "
            f"in {results[label]['seconds']} s), request {fmt(results[label]['latency_ms'])}"
            + (f"; first error: {errors[0][:200]}" if errors else "")
        )
    single = http_phase(children, f"REST single events, {opts.connections} connections", port, "/alert", "",
                        "alerta", lambda part: mix_keys(Mix("ars", opts.seed, hot_first=False, part=part), 10**8),
                        "ars", 1, opts.connections, opts.rest_seconds, 201)  # fmt: skip
    sent.update(single["per_key"])
    results["rest_single"] = public(single)
    results["rest_batch"] = "no batch endpoint in Alerta"
    children.stop("alerta")
    found = events_alerta.counts(opts.alerta_db)
    results["counts"] = {
        prefix: check_counts(sent, found, prefix) for prefix in ("aq:hot", "aq:new", "astorm:", "ars:")
    }
    for prefix, c in results["counts"].items():
        print(f"  counts {prefix}: {c}")
    if opts.profile:
        print("  profile alerta:\n    " + "\n    ".join(summarise_profile(RESULTS_DIR / "events-profile-alerta.txt")))
    return results


# ---------------------------------------------------------------------------------------------- report


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    pd, al = results.get("plantdesk"), results.get("alerta")
    if not pd or not al:
        return {}

    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 1) if b else None

    return {
        "sustained_accepted_rate": ratio(pd["sustained"]["publish_rate"], al["sustained"]["events_per_s"]),
        "rest_single_rate": ratio(pd["rest_single"]["events_per_s"], al["rest_single"]["events_per_s"]),
        "rest_batch_vs_alerta_single": ratio(pd["rest_batch"]["events_per_s"], al["rest_single"]["events_per_s"]),
    }


def write_json(doc: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"events-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(doc, indent=2, default=str))
    return path


def run(opts: Options, home: Path) -> None:
    env = plantdesk_env(opts.db, home)
    doc: dict[str, Any] = {"code": code_state(), "at": datetime.now(UTC).isoformat(), "options": vars(opts)}
    max_seconds = int(2 * opts.duration + 4 * opts.rest_seconds + 3600)
    with tempfile.TemporaryDirectory(prefix="plantdesk-bench-events-") as tmp_name:
        tmp = Path(tmp_name)
        children = Children(tmp, max_seconds)
        try:
            if opts.only in ("both", "plantdesk"):
                doc["plantdesk"] = run_plantdesk(opts, env, children, tmp)
            if opts.only in ("both", "alerta"):
                doc["alerta"] = run_alerta(opts, children, tmp)
        except BaseException:
            for name in list(children.running):
                print(f"--- last lines of {name}:\n{children.log_tail(name, 1500)}")
            raise
        finally:
            children.stop_all()
            if not opts.keep:
                admin_execute(f'DROP DATABASE IF EXISTS "{opts.alerta_db}" WITH (FORCE)')
    doc["ratio_plantdesk_to_alerta"] = ratios(doc)
    doc["load_average"] = os.getloadavg()
    print(f"\nratio PlantDesk / Alerta: {doc['ratio_plantdesk_to_alerta']}")
    report_footer(doc["code"], write_json(doc) if opts.json else None)


def main() -> None:
    opts = parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # runs every `finally`: children stopped, database dropped

    signal.signal(signal.SIGTERM, terminate)
    run_in_scratch(run, opts)


if __name__ == "__main__":
    main()
