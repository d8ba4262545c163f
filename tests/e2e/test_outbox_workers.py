"""The outbox with real `plantdesk worker` processes on the suite's engine (SQLite file or PostgreSQL): two
workers share the deliveries without dispatching one twice, and a worker killed with SIGKILL mid-dispatch
loses nothing: the next one replays exactly what it had not committed, in order per record.

The consumers are the real dispatcher's, declared with PLANTDESK_EVENT_CONSUMERS: `testing.recorder` (handles a
run of events in one transaction) and `testing.recorder_isolated` (one transaction per event). Each appends
"<pid> <consumer> <event id> <stream>" to a file, flushed to disk, before its delivery commits: a line exists
for every handing-over, committed or not, which is what shows a replay."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from plantdesk.testing.live import BIN, LiveServer, live_plantdesk

pytestmark = pytest.mark.e2e

CONSUMERS = ("testing.recorder", "testing.recorder_isolated")
EVENTS_SCRIPT = """
from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.incidents.actions import do_create_incident, do_update_incident
agent = User.objects.get(username="mmueller")
for i in range(30):
    incident = do_create_incident({"short_description": f"Outbox load {i}", "impact": 3, "urgency": 3}, actor=agent)
    for n in range(12):
        incident = do_update_incident(incident, {"urgency": 1 + n % 3, "description": f"step {n}"}, actor=agent)
"""
COUNT_SCRIPT = """
from plantdesk.core.models import EventDelivery
rows = EventDelivery.objects.filter(consumer__startswith="testing.")
print(rows.count(), rows.filter(state="pending").count(), rows.filter(state="failed").count())
"""
EXPECTED_SCRIPT = """
from plantdesk.core.models import EventDelivery
for consumer, event_id, stream, attempts, state in EventDelivery.objects.filter(
        consumer__startswith="testing.").values_list("consumer", "event_id", "stream", "attempts", "state"):
    print(consumer, event_id, stream, attempts, state)
"""


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    """A live PlantDesk whose demo and a further 390 incident updates were recorded with the test consumers
    declared: about 800 events, each with a pending delivery to both."""
    with live_plantdesk(demo=False, workers=1) as server:
        env = dict(
            server.env,
            PLANTDESK_EVENT_CONSUMERS=",".join(f"plantdesk.testing.consumers:{c.split('.')[1]}" for c in CONSUMERS),
            PLANTDESK_TEST_RECORDER_FILE=str(tmp_path / "deliveries.log"),
            PLANTDESK_TEST_RECORDER_DELAY="0.002",
            PLANTDESK_OUTBOX_LEASE_SECONDS="3",
            PLANTDESK_OUTBOX_BATCH="100",
        )
        cli(env, "demo")
        cli(env, "shell", "--no-imports", "-c", EVENTS_SCRIPT)
        yield server, env


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "plantdesk"), *args], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(BIN / "plantdesk"), "worker", "--interval", "30", "--sla-tick", "0.05"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def counts(env: dict[str, str]) -> tuple[int, int, int]:
    total, pending, failed = (int(n) for n in cli(env, "shell", "--no-imports", "-c", COUNT_SCRIPT).split())
    return total, pending, failed


def wait_until_drained(env: dict[str, str], workers: list[subprocess.Popen[bytes]], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert all(w.poll() is None for w in workers), "a worker died"
        total, pending, failed = counts(env)
        assert failed == 0
        if total and not pending:
            return
        time.sleep(1)
    raise AssertionError(f"deliveries still pending after {timeout} s: {counts(env)}")


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)


def lines_of(env: dict[str, str]) -> list[tuple[int, str, int, str]]:
    text = Path(env["PLANTDESK_TEST_RECORDER_FILE"]).read_text(encoding="utf-8") if Path(
        env["PLANTDESK_TEST_RECORDER_FILE"]).exists() else ""  # fmt: skip
    rows = []
    for line in text.splitlines():
        pid, consumer, event_id, stream = line.split()
        rows.append((int(pid), consumer, int(event_id), stream))
    return rows


def expected(env: dict[str, str]) -> dict[str, dict[int, str]]:
    """Per consumer: event id -> stream of every delivery, all of which must be done."""
    found: dict[str, dict[int, str]] = defaultdict(dict)
    for line in cli(env, "shell", "--no-imports", "-c", EXPECTED_SCRIPT).splitlines():
        consumer, event_id, stream, _attempts, state = line.split()
        assert state == "done", line
        found[consumer][int(event_id)] = stream
    return found


def assert_in_order_per_record(rows: list[tuple[int, str, int, str]], *, per_worker: bool) -> None:
    """Within each record's stream the events come in id order (per worker process where one was killed: the
    next one starts again at the first event the killed one had not committed)."""
    last: dict[tuple[object, str, str], int] = {}
    for pid, consumer, event_id, stream in rows:
        key = (pid if per_worker else None, consumer, stream)
        assert event_id > last.get(key, 0), f"{consumer} got event {event_id} of {stream} after {last[key]}"
        last[key] = event_id


def test_two_workers_share_the_outbox_without_dispatching_anything_twice(
    plant: tuple[LiveServer, dict[str, str]],
) -> None:
    _server, env = plant
    total, pending, _ = counts(env)
    assert total == pending > 1500  # every event, once per consumer
    workers = [start_worker(env), start_worker(env)]
    try:
        wait_until_drained(env, workers)
    finally:
        stop(workers)
    rows = lines_of(env)
    want = expected(env)
    for consumer in CONSUMERS:
        got = [event_id for _pid, c, event_id, _stream in rows if c == consumer]
        assert sorted(got) == sorted(want[consumer])  # each exactly once: none lost, none twice
    if env.get("PLANTDESK_DATABASE_URL", "").startswith("postgres"):
        # Both did a share. On SQLite one writer at a time holds the database: the second worker waits for
        # the lock (and may find nothing left); correctness, not speed-up, is what two workers give there.
        assert {pid for pid, *_ in rows} == {w.pid for w in workers}
    assert_in_order_per_record(rows, per_worker=False)


def test_a_worker_killed_mid_dispatch_loses_nothing_and_the_next_replays_only_the_uncommitted(
    plant: tuple[LiveServer, dict[str, str]],
) -> None:
    _server, env = plant
    first = start_worker(env)
    deadline = time.monotonic() + 60
    while len(lines_of(env)) < 400 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)  # mid-dispatch: no handler runs, its open transaction is lost
    first.wait(timeout=15)
    killed_at = len(lines_of(env))
    assert killed_at > 0 and counts(env)[1] > 0  # it had started, and work was left
    second = start_worker(env)
    try:
        wait_until_drained(env, [second])
    finally:
        stop([second])
    rows = lines_of(env)
    want = expected(env)
    assert {pid for pid, *_ in rows} == {first.pid, second.pid}
    for consumer in CONSUMERS:
        mine = [(pid, event_id) for pid, c, event_id, _stream in rows if c == consumer]
        assert {event_id for _pid, event_id in mine} == set(want[consumer])  # nothing lost
        seen: dict[int, list[int]] = defaultdict(list)
        for pid, event_id in mine:
            seen[event_id].append(pid)
        again = {event_id: pids for event_id, pids in seen.items() if len(pids) > 1}
        # Only what the killed worker had handed over without committing comes again, once, from the next one.
        assert all(pids == [first.pid, second.pid] for pids in again.values()), again
        if consumer == "testing.recorder_isolated":
            assert len(again) <= 1  # its progress commits with each event: at most the one in hand is replayed
    assert_in_order_per_record(rows, per_worker=True)
