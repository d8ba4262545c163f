"""Create latency of two or more code states side by side: one client, creates interleaved request by request.

Each side is a checkout with its own `.venv` and a database prepared by `bench/incidents.py --keep` (people,
tokens, incidents), optionally with PLANTDESK_EVENT_CONSUMERS. Every side gets its own `plantdesk serve`;
one client then POSTs `/api/v1/incidents` to the sides in turn (A, B, C, then B, C, A, ...), one request at a
time, so that a slow spell of the machine hits every side alike. Reports median / p95 / p99 per side and the
median of the paired differences to the first side. The created incidents are removed first (as --reuse does).

    .venv/bin/python bench/create_ab.py --creates 2000 \\
        --side before=/tmp/pd-before:plantdesk_bench_ob_before \\
        --side after=.:plantdesk_bench_ob_after \\
        --side after+noop=.:plantdesk_bench_ob_after:plantdesk.testing.consumers:noop
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from common import PG_SERVER, RESULTS_DIR, percentile, plantdesk_env
from incidents import _create_payload, reset_to_generated, serve


@dataclass
class Side:
    name: str
    checkout: Path
    db: str
    consumers: str
    samples: list[float] = field(default_factory=list)

    @property
    def cli(self) -> Path:
        return self.checkout / ".venv" / "bin" / "plantdesk"


def parse_side(text: str) -> Side:
    name, rest = text.split("=", 1)
    checkout, db, *consumers = rest.split(":", 2)
    if not db.replace("_", "").isalnum():
        raise argparse.ArgumentTypeError(f"{db}: the database must be a plain identifier")
    return Side(name, Path(checkout).resolve(), db, consumers[0] if consumers else "")


def code_of(checkout: Path) -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True)
    dirty = subprocess.run(["git", "diff", "--name-only", "HEAD", "--", "src"], cwd=checkout, capture_output=True,
                           text=True)  # fmt: skip
    return head.stdout.strip() + (" + changes in " + ", ".join(dirty.stdout.split()) if dirty.stdout.strip() else "")


def post(conn: http.client.HTTPConnection, token: str, body: str) -> float:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    start = time.perf_counter()
    conn.request("POST", "/api/v1/incidents", body=body, headers=headers)
    response = conn.getresponse()
    answer = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 201:
        raise RuntimeError(f"POST -> {response.status}: {answer[:200]!r}")
    return elapsed


def stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "median_ms": percentile(s, 0.5), "p95_ms": percentile(s, 0.95), "p99_ms": percentile(s, 0.99)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", type=parse_side, action="append", required=True, help="NAME=CHECKOUT:DB[:CONSUMERS]")
    p.add_argument("--creates", type=int, default=2000, help="timed creates per side")
    p.add_argument("--warmup", type=int, default=30, help="untimed creates per side first")
    p.add_argument("--servers", default="2x1", help="WORKERSxTHREADS of each `plantdesk serve`")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--json", action="store_true", help="also write the figures to bench/results/")
    a = p.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sides: list[Side] = a.side
    workers, threads = (int(x) for x in a.servers.split("x"))
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory(prefix="plantdesk-bench-") as home, contextlib.ExitStack() as stack:
        conns, tokens = [], []
        for i, side in enumerate(sides):
            reset_to_generated(SimpleNamespace(db_url=f"{PG_SERVER}/{side.db}"))
            env = plantdesk_env(side.db, Path(home))
            env.pop("PLANTDESK_EVENT_CONSUMERS", None)
            if side.consumers:
                env["PLANTDESK_EVENT_CONSUMERS"] = side.consumers
            made = subprocess.run([str(side.cli), "token", "create", "bench_api", "--name", "ab"], env=env,
                                  capture_output=True, text=True, check=True)  # fmt: skip
            tokens.append(made.stdout.strip().splitlines()[-1])
            base = stack.enter_context(serve(env, workers, threads, 8770 + i, side.cli))
            host, port = base.removeprefix("http://").split(":")
            conns.append(http.client.HTTPConnection(host, int(port), timeout=30))
        for _ in range(a.warmup):
            for i in range(len(sides)):
                post(conns[i], tokens[i], _create_payload(rng))
        order = list(range(len(sides)))
        for k in range(a.creates):
            body = _create_payload(rng)  # the same incident for every side
            for i in order[k % len(order) :] + order[: k % len(order)]:
                sides[i].samples.append(post(conns[i], tokens[i], body))
        for conn in conns:
            conn.close()
    first = sides[0]
    print(f"\n{'side':<14} {'n':>6} {'median':>8} {'p95':>8} {'p99':>8} {'paired diff median':>19}  code")
    figures = {}
    for side in sides:
        s = stats(side.samples)
        diff = round(statistics.median(b - f for b, f in zip(side.samples, first.samples, strict=True)), 2)
        code = code_of(side.checkout) + (f", consumers {side.consumers}" if side.consumers else "")
        figures[side.name] = {**s, "paired_diff_median_ms": diff, "code": code}
        print(f"{side.name:<14} {s['n']:>6} {s['median_ms']:>8} {s['p95_ms']:>8} {s['p99_ms']:>8} {diff:>19}  {code}")
    load = os.getloadavg()
    print(f"load average after the run: {load}")
    if a.json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        path = RESULTS_DIR / f"create-ab-{now:%Y%m%dT%H%M%SZ}.json"
        doc: dict[str, Any] = {"at": now.isoformat(), "servers": a.servers, "load_average": load, "sides": figures}
        path.write_text(json.dumps(doc, indent=2))
        print(f"written: {path}")


if __name__ == "__main__":
    main()
