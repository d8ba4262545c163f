"""`plantdesk ingest mqtt` as a real process on its own database (SQLite file or a fresh PostgreSQL database):
kill -9 mid-stream, a broker that goes away, SIGTERM, and a database that refuses writes. Nothing is lost
and nothing is stored twice.

The shared broker keeps at most 1000 queued messages for an offline session (Mosquitto's default
max_queued_messages), so the tests that take the ingest down for a stream of thousands run their own
broker configured as docs/events.md asks for production."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from plantdesk.events.tests.mqtt_helpers import Publisher, unique
from plantdesk.testing.live import BIN, _database, free_port

pytestmark = pytest.mark.e2e
MOSQUITTO = "/usr/sbin/mosquitto"


@dataclass
class Site:
    env: dict[str, str]
    home: Path
    logs: Path

    def sql(self, query: str, *params: str) -> list[tuple[object, ...]]:
        url = self.env.get("PLANTDESK_DATABASE_URL", "")
        if url.startswith("postgres"):
            import psycopg

            with psycopg.connect(url, autocommit=True) as conn:
                cursor = conn.execute(query.replace("?", "%s"), params)  # type: ignore[arg-type]
                return list(cursor.fetchall()) if cursor.description else []
        with contextlib.closing(sqlite3.connect(self.home / "plantdesk.sqlite3", timeout=20)) as conn, conn:
            return conn.execute(query, params).fetchall()

    def counts(self, source: str) -> tuple[int, int]:
        """Rows and distinct payloads of `source` in the inbox."""
        row = self.sql("SELECT count(*), count(DISTINCT sha256) FROM events_inboxevent WHERE source = ?", source)[0]
        return int(row[0]), int(row[1])  # type: ignore[call-overload]

    def ingest(self, client_id: str, source: str, port: int = 1883) -> subprocess.Popen[bytes]:
        """An ingest of this test's topic only, in a share group of its own: on the shared broker a session
        left in a common group would take its share of everyone's messages until it expires."""
        log = open(self.logs / f"ingest-{uuid.uuid4().hex[:6]}.log", "wb")  # noqa: SIM115 (the process owns it)
        args = [  # the CONTRACT.md options: --url and --topic (native only: no spBv1.0 filter, so no Sparkplug)
            "--url",
            f"mqtt://127.0.0.1:{port}",
            "--topic",
            f"plantdesk/events/{source}/#",
            "--client-id",
            client_id,
            "--share-group",
            f"g-{client_id}",
            "--session-expiry",
            "300",
        ]
        return subprocess.Popen(
            [str(BIN / "plantdesk"), "ingest", "mqtt", *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )  # fmt: skip

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("ingest-*.log")))


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    home = Path(tempfile.mkdtemp(prefix="plantdesk-mqtt-"))
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    base["PLANTDESK_SECRET_KEY"] = "mqtt-test-" + uuid.uuid4().hex
    try:
        with _database(base, home) as env:
            subprocess.run([str(BIN / "plantdesk"), "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
            logs = home / "logs"
            logs.mkdir()
            yield Site(env, home, logs)
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def broker(port: int, directory: Path) -> subprocess.Popen[bytes]:
    """A private Mosquitto with persistence and room for a long queue while the ingest is away."""
    directory.mkdir(exist_ok=True)
    conf = directory / "mosquitto.conf"
    # As root Mosquitto would switch to its own user, which cannot write under pytest's private tmp_path.
    user = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n{user}"
        f"persistence_location {directory}/\nmax_queued_messages 100000\nautosave_interval 60\n"
    )
    process = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: _accepts(port), 10)
    return process


def _accepts(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def connected_times(site: Site, client_id: str) -> int:
    return site.log_text().count(f"MQTT {client_id}: connected")


def event(source: str, n: int) -> str:
    # No event_id and no occurred_at: the inbox must recognise a redelivery by the payload alone.
    return json.dumps({"node": "BER-L3-PLC01", "type": "alarm", "metric": f"m{n % 7}", "severity": "major",
                       "message": f"event {n}"})  # fmt: skip


def test_kill_9_mid_stream_loses_nothing_and_stores_nothing_twice(site: Site, processes: list, tmp_path: Path) -> None:
    port, source, client_id, total = free_port(), unique("crash-"), unique("ingest-"), 3000
    processes.append(broker(port, tmp_path / "broker"))
    processes.append(site.ingest(client_id, source, port))
    wait_for(lambda: connected_times(site, client_id) == 1, 30)
    time.sleep(0.3)  # the subscription follows the connection
    pub = Publisher(port=port)

    def stream() -> None:  # about 1,500 a second: the kill lands mid-stream
        for start in range(0, total, 100):
            pub.many([(f"plantdesk/events/{source}", event(source, n)) for n in range(start, start + 100)])
            time.sleep(0.06)

    publishing = threading.Thread(target=stream)
    publishing.start()
    wait_for(lambda: site.counts(source)[0] >= 500, 30)
    processes[1].send_signal(signal.SIGKILL)
    processes[1].wait(10)
    stored_at_kill = site.counts(source)[0]
    assert publishing.is_alive() and stored_at_kill < total
    processes.append(site.ingest(client_id, source, port))
    publishing.join(60)
    pub.close()
    wait_for(lambda: site.counts(source)[0] >= total, 40)
    time.sleep(1.0)  # anything redelivered late would show now
    assert site.counts(source) == (total, total)
    messages = {r[0] for r in site.sql("SELECT payload FROM events_inboxevent WHERE source = ?", source)}
    assert {json.loads(str(m))["message"] for m in messages} == {f"event {n}" for n in range(total)}


def test_the_ingest_outlives_its_broker_and_resumes(site: Site, processes: list, tmp_path: Path) -> None:
    port, source, client_id = free_port(), unique("outage-"), unique("ingest-")
    topic = f"plantdesk/events/{source}"
    processes.append(broker(port, tmp_path / "broker"))
    ingest = site.ingest(client_id, source, port)
    processes.append(ingest)
    wait_for(lambda: connected_times(site, client_id) == 1, 30)
    time.sleep(0.3)
    pub = Publisher(port=port)
    pub.many([(topic, event(source, n)) for n in range(20)])
    pub.close()
    wait_for(lambda: site.counts(source)[0] == 20, 20)

    processes[0].kill()  # the broker crashes: its unsaved state (our session) is gone
    processes[0].wait(10)
    time.sleep(2)
    assert ingest.poll() is None
    processes.append(broker(port, tmp_path / "broker"))
    wait_for(lambda: connected_times(site, client_id) == 2, 40)  # reconnected, subscribed again
    time.sleep(0.3)
    pub = Publisher(port=port)
    pub.many([(topic, event(source, n)) for n in range(20, 40)])
    pub.close()
    wait_for(lambda: site.counts(source)[0] == 40, 20)

    processes[2].terminate()  # a clean broker shutdown saves the session, and what is queued for it
    processes[2].wait(10)
    processes.append(broker(port, tmp_path / "broker"))
    pub = Publisher(port=port)  # published before the ingest is back: queued in its restored session
    pub.many([(topic, event(source, n)) for n in range(40, 60)])
    pub.close()
    wait_for(lambda: site.counts(source)[0] == 60, 40)
    assert ingest.poll() is None
    assert site.counts(source) == (60, 60)
    assert "connection lost" in site.log_text()


def test_sigterm_stores_what_it_has_and_the_session_keeps_the_rest(site: Site, processes: list) -> None:
    source, client_id = unique("term-"), unique("ingest-")
    topic = f"plantdesk/events/{source}"
    ingest = site.ingest(client_id, source)
    processes.append(ingest)
    wait_for(lambda: connected_times(site, client_id) == 1, 30)
    time.sleep(0.3)
    pub = Publisher()
    pub.many([(topic, event(source, n)) for n in range(300)])
    ingest.send_signal(signal.SIGTERM)
    assert ingest.wait(15) == 0
    pub.many([(topic, event(source, n)) for n in range(300, 600)])  # while the ingest is down
    pub.close()
    processes.append(site.ingest(client_id, source))
    wait_for(lambda: site.counts(source)[0] == 600, 30)
    time.sleep(1.0)
    assert site.counts(source) == (600, 600)
    assert "MQTT ingest stopped after" in site.log_text()


def test_nothing_is_acknowledged_while_the_database_refuses_it(site: Site, processes: list) -> None:
    """The database refuses the batch; the process then dies. Had it acknowledged anything, that message
    would be lost: the broker delivers all of them to the next process instead."""
    source, client_id = unique("dberr-"), unique("ingest-")
    topic = f"plantdesk/events/{source}"
    ingest = site.ingest(client_id, source)
    processes.append(ingest)
    wait_for(lambda: connected_times(site, client_id) == 1, 30)
    time.sleep(0.3)
    pub = Publisher()
    pub.send(topic, event(source, 0))
    wait_for(lambda: site.counts(source)[0] == 1, 20)
    site.sql("ALTER TABLE events_inboxevent RENAME TO events_inboxevent_away")
    try:
        pub.many([(topic, event(source, n)) for n in range(1, 11)])
        wait_for(lambda: "database error" in site.log_text(), 20)
        assert ingest.poll() is None  # it keeps trying
        ingest.kill()
        ingest.wait(10)
    finally:
        site.sql("ALTER TABLE events_inboxevent_away RENAME TO events_inboxevent")
    pub.close()
    processes.append(site.ingest(client_id, source))
    wait_for(lambda: site.counts(source)[0] == 11, 30)
    time.sleep(1.0)
    assert site.counts(source) == (11, 11)
