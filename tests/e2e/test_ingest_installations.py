"""Two PlantDesk installations on one broker, each running `plantdesk ingest mqtt` as `make run` does (no
--client-id): each keeps its own session instead of knocking the other off, and an installation that
restarts comes back under the same id (its persistent session)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from plantdesk.testing.live import BIN, _database

pytestmark = pytest.mark.e2e
TAG = uuid.uuid4().hex[:8]
CONNECTED = re.compile(r"MQTT (\S+): connected to 127\.0\.0\.1:1883")


@pytest.fixture(scope="module")
def installations() -> Iterator[list[dict[str, str]]]:
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PLANTDESK_MQTT_CLIENT_ID")}
    base["PLANTDESK_SECRET_KEY"] = "ingest-test-" + uuid.uuid4().hex
    homes = [Path(tempfile.mkdtemp(prefix=f"h-ops-ingest-{n}-")) for n in (1, 2)]
    try:
        with ExitStack() as stack:
            envs = [stack.enter_context(_database(base, home)) for home in homes]
            for env in envs:
                subprocess.run([str(BIN / "plantdesk"), "migrate", "--noinput", "-v0"], env=env, check=True,
                               timeout=300)  # fmt: skip
            yield envs
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)


def start_ingest(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The ingest with its default client id, on topics of this test only, its session short-lived."""
    args = ["--url", "mqtt://127.0.0.1:1883", "--topic", f"plantdesk/events/h-ops-{TAG}/#",
            "--share-group", f"h-ops-{TAG}", "--session-expiry", "30"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen([str(BIN / "plantdesk"), "ingest", "mqtt", *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=15)


def wait_connected(log: Path, times: int = 1, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = CONNECTED.findall(log.read_text(errors="replace")) if log.exists() else []
        if len(found) >= times:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not connected {times}x: {log.read_text(errors='replace') if log.exists() else ''}")


def test_two_installations_keep_their_sessions_and_a_restart_keeps_its_id(
    installations: list[dict[str, str]], tmp_path: Path
) -> None:
    logs = [tmp_path / "ingest-1.log", tmp_path / "ingest-2.log"]
    first = [start_ingest(env, log) for env, log in zip(installations, logs, strict=True)]
    try:
        ids = [wait_connected(log)[0] for log in logs]
        assert ids[0] != ids[1] and all(i.startswith("plantdesk-") for i in ids)
        time.sleep(4)  # with one id the broker would have thrown one out and the two would be reconnecting
        for process, log in zip(first, logs, strict=True):
            text = log.read_text(errors="replace")
            assert process.poll() is None, text
            assert len(CONNECTED.findall(text)) == 1 and "connection lost" not in text, text
    finally:
        for process in first:
            stop(process)

    again = start_ingest(installations[0], logs[0])
    try:
        assert wait_connected(logs[0], times=2)[1] == ids[0]  # the same installation, the same session
    finally:
        stop(again)

    explicit = dict(installations[0], PLANTDESK_MQTT_CLIENT_ID=f"h-ops-{TAG}-explicit")
    chosen = start_ingest(explicit, logs[0])
    try:
        assert wait_connected(logs[0], times=3)[2] == f"h-ops-{TAG}-explicit"
    finally:
        stop(chosen)
