"""Crash safety of the event path with real processes: `kill -9` of the server and of the processing worker
in the middle of a stream, then restarts. Every event the sender was told "accepted" is counted exactly
once; the sender retries what it was not told, and the inbox recognises a retry of an accepted batch."""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from plantdesk.testing.live import BIN, LiveServer, live_plantdesk

pytestmark = pytest.mark.e2e

KEYS, BATCHES, BATCH = 120, 80, 40  # 3,200 events
CRITICAL_KEYS = 6  # these open incidents; the rest are warnings (recorded only)


@pytest.fixture
def crash_server() -> Iterator[LiveServer]:
    with live_plantdesk(demo=True, workers=1) as server:  # its own: this test kills it
        yield server


def start_worker(server: LiveServer) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "plantdesk"), "worker", "--interval", "0.5"], env=server.env,
                            stdout=subprocess.DEVNULL)  # fmt: skip


def event(n: int) -> dict[str, Any]:
    key = n % KEYS
    return {"source": "crash-test", "node": f"BER-L{key % 4 + 1}-PLC01" if key < CRITICAL_KEYS else f"sensor-{key}",
            "metric": f"m{key}", "severity": "critical" if key < CRITICAL_KEYS else "warning",
            "event_id": f"occurrence-{n}", "dedup_key": f"crash-{key}"}  # fmt: skip


def send_all(server: LiveServer, token: str, acknowledged: list[int]) -> None:
    """Each batch until the server says 202 (a crash in between: send it again, as any sender would)."""
    headers = {"Authorization": f"Bearer {token}"}
    for b in range(BATCHES):
        numbers = list(range(b * BATCH, (b + 1) * BATCH))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                response = httpx.post(f"{server.base_url}/api/v1/events", json=[event(n) for n in numbers],
                                      headers=headers, timeout=5)  # fmt: skip
                if response.status_code == 202:
                    acknowledged.extend(numbers)
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        time.sleep(0.01)


def test_kill_9_of_server_and_worker_loses_nothing_and_counts_nothing_twice(crash_server: LiveServer) -> None:
    server = crash_server
    token = server.cli("integration", "add", "crash-sender").stdout.strip()
    admin = server.token_for("admin")
    worker = start_worker(server)
    acknowledged: list[int] = []
    sender = threading.Thread(target=send_all, args=(server, token, acknowledged))
    sender.start()
    try:
        for kill_at in (BATCHES * BATCH // 4, BATCHES * BATCH // 2):
            while len(acknowledged) < kill_at and sender.is_alive():
                time.sleep(0.01)
            server.kill()  # mid-stream: requests in flight are lost or answered, the sender cannot know which
            worker.kill()  # and the processor, mid-batch or between batches
            worker.wait(timeout=15)
            server.serve()
            worker = start_worker(server)
        sender.join(timeout=180)
        assert not sender.is_alive() and len(acknowledged) == BATCHES * BATCH
        counts = wait_until_processed(server, admin)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
    sent = Counter(f"crash-{n % KEYS}" for n in acknowledged)
    assert counts == dict(sent)  # one alert per key, and each occurrence counted exactly once


def wait_until_processed(server: LiveServer, admin_token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {admin_token}"}
    deadline = time.monotonic() + 120
    while True:
        items = httpx.get(f"{server.base_url}/api/v1/alerts", params={"limit": 500}, headers=headers,
                          timeout=10).json()["items"]  # fmt: skip
        ours = [i for i in items if i["dedup_key"].startswith("crash-")]
        counts = {i["dedup_key"]: i["count"] for i in ours}
        if sum(counts.values()) >= BATCHES * BATCH or time.monotonic() > deadline:
            assert len(ours) == len(counts) == KEYS, "a key has more than one alert"
            incidents = {i["incident"] for i in ours if i["severity"] == "critical"}
            assert len(incidents) == CRITICAL_KEYS and None not in incidents
            return counts
        time.sleep(0.5)
