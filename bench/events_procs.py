"""Process plumbing of bench/events.py: every child in its own process group, bounded by `timeout`, stopped
on exit (also on Ctrl-C, SIGTERM or an error); a private Mosquitto; commit-visibility probes; py-spy."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg

MOSQUITTO = "/usr/sbin/mosquitto"
# Broker limits we control: enough in flight per client for the ingest to acknowledge in batches after each
# commit, and a deep queue so a slow subscriber is measured as latency, not as messages dropped by the broker.
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_inflight_messages 5000
max_queued_messages 1000000
max_queued_bytes 0
set_tcp_nodelay true
log_dest stderr
log_type error
log_type warning
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


class Children:
    """Every process the benchmark starts; `stop_all` ends them (SIGTERM to the group, SIGKILL after 15 s)."""

    def __init__(self, logs: Path, max_seconds: int) -> None:
        self.logs = logs
        self.max_seconds = max_seconds  # no child outlives this, even if the benchmark itself is killed
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.forked: list[multiprocessing.process.BaseProcess] = []
        self.context = multiprocessing.get_context("fork")

    def start(self, name: str, cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              bounded: bool = True) -> subprocess.Popen[bytes]:  # fmt: skip
        log = (self.logs / f"{name}.log").open("ab")
        full = ["timeout", "-k", "10", str(self.max_seconds), *cmd] if bounded else cmd
        process = subprocess.Popen(full, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        log.close()
        self.running[name] = process
        return process

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def check(self, name: str) -> None:
        process = self.running[name]
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")

    def stop(self, name: str, grace: float = 15) -> None:
        process = self.running.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def fork(self, target: Any, *args: Any) -> multiprocessing.process.BaseProcess:
        process = self.context.Process(target=target, args=args, daemon=True)
        process.start()
        self.forked.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.forked:
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for name in list(self.running):
            self.stop(name)


def start_mosquitto(children: Children, directory: Path) -> int:
    port = free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(MOSQUITTO_CONF.format(port=port))
    children.start("mosquitto", [MOSQUITTO, "-c", str(conf)])
    wait_port(port)
    return port


def collect(out: Any, count: int, seconds: float, what: str) -> list[Any]:
    """`count` reports from forked generators, or an error naming what did not report in time."""
    reports = []
    deadline = time.monotonic() + seconds
    while len(reports) < count:
        try:
            reports.append(out.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty as exc:
            raise RuntimeError(f"{what}: {count - len(reports)} of {count} generators did not report") from exc
    return reports


def merged(reports: list[Any]) -> Counter[str]:
    total: Counter[str] = Counter()
    for report in reports:
        total.update(report.per_key)
    return total


class VisibilityProbe(threading.Thread):
    """Polls (every 50 ms, on its own connection) for a sample of published event ids and records when each
    is first visible as a committed inbox row: publish -> durable as another client sees it. Only the oldest
    WINDOW pending ids are asked for, so a row committed out of order is seen late (an overestimate)."""

    WINDOW = 20

    def __init__(self, db_url: str, probes: Any) -> None:
        super().__init__(daemon=True)
        self.db_url = db_url
        self.probes = probes
        self.pending: dict[str, float] = {}
        self.latencies_ms: list[float] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            while not self.stop_event.is_set() or self.pending:
                with contextlib.suppress(queue.Empty):
                    while True:
                        eid, sent = self.probes.get_nowait()
                        self.pending[eid] = sent
                if self.pending:
                    # The oldest 20 only (dicts keep insertion order): when the ingest lags by tens of
                    # seconds thousands are pending, and asking for all every 10 ms would load the database.
                    oldest = list(itertools.islice(self.pending, self.WINDOW))
                    rows = conn.execute("SELECT idempotency_key FROM events_inboxevent WHERE source = 'bench' "
                                        "AND idempotency_key = ANY(%s)", [oldest]).fetchall()  # fmt: skip
                    now = time.time()
                    for (eid,) in rows:
                        self.latencies_ms.append((now - self.pending.pop(eid)) * 1000)
                    if self.stop_event.is_set() and time.time() - min(self.pending.values(), default=now) > 60:
                        return  # the rest never arrived: counted as missing by the caller
                time.sleep(0.05)

    def missing(self) -> int:
        return len(self.pending)


class Sampler(threading.Thread):
    """Once a second: inbox ids handed out so far (rows received) and the backlog of accepted, unprocessed rows."""

    def __init__(self, db_url: str) -> None:
        super().__init__(daemon=True)
        self.db_url = db_url
        self.samples: list[tuple[float, int, int]] = []  # wall time, ids handed out, backlog
        self.stop_event = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            while not self.stop_event.is_set():
                last = conn.execute("SELECT last_value FROM events_inboxevent_id_seq").fetchone()
                backlog = conn.execute("SELECT count(*) FROM events_inboxevent WHERE status = 'accepted'").fetchone()
                self.samples.append((time.time(), int(last[0]) if last else 0, int(backlog[0]) if backlog else 0))
                self.stop_event.wait(1.0)


def py_spy() -> Path | None:
    for candidate in (Path(__file__).resolve().parent.parent / ".bench" / "tools" / "bin" / "py-spy",):
        if candidate.exists():
            return candidate
    return None


def profile(children: Children, name: str, pid: int, seconds: int, out: Path) -> None:
    """py-spy (collapsed stacks) of one process and its subprocesses for `seconds`, in the background."""
    spy = py_spy()
    children_file = Path(f"/proc/{pid}/task/{pid}/children")  # `pid` is `timeout`: profile the command under it
    if children_file.exists() and children_file.read_text().split():
        pid = int(children_file.read_text().split()[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    if spy is None:
        print("  (no .bench/tools/bin/py-spy: `python -m venv .bench/tools && .bench/tools/bin/pip install py-spy`)")
        return
    children.start(f"py-spy-{name}", [str(spy), "record", "--pid", str(pid), "--subprocesses", "--duration",
                                      str(seconds), "--rate", "50", "--format", "raw", "--output", str(out),
                                      "--nonblocking"])  # fmt: skip


def summarise_profile(path: Path, top: int = 12) -> list[str]:
    """The functions that were on the CPU most (self) and the PlantDesk functions most on the stack (total)."""
    if not path.exists():
        return [f"no profile at {path}"]
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        count = int(n)
        samples += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            if "plantdesk" in frame or "django" in frame or "paho" in frame or "psycopg" in frame:
                total[frame] += count
    lines = [f"{samples} samples; self:"]
    lines += [f"  {100 * c / samples:5.1f}% {f}" for f, c in own.most_common(top)]
    lines += ["on the stack (PlantDesk, Django, paho, psycopg):"]
    lines += [f"  {100 * c / samples:5.1f}% {f}" for f, c in total.most_common(top)]
    return lines
