"""Load generators of bench/events.py: the event mix, a paced QoS 1 MQTT publisher and a compact asyncio
HTTP/1.1 client. Each runs in its own process (no GIL shared with the system under test's helpers) and
reports what was acknowledged, per dedup key, so the alert counts can be checked exactly."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SEVERITIES = ("critical", "major", "minor", "warning")
HOT_KEYS = 5_000
REPEAT_SHARE = 0.95
STORM_DEVICES = 10_000
STORM_EVENTS = 50_000


def severity_of(key: str) -> str:
    """A fixed severity per key: a severity change is a different thing in each system (PlantDesk counts it
    on the alert, Alerta correlates and restarts duplicateCount), so the count check must not meet one."""
    return SEVERITIES[sum(key.encode()) % len(SEVERITIES)]


def event_id(tag: str, seq: int) -> str:
    """Tag, sequence number and the wall-clock send time in microseconds (read back by SQL)."""
    return f"{tag}-{seq}-{time.time_ns() // 1000}"


def native_event(key: str, eid: str) -> dict[str, Any]:
    device = key.rpartition(":")[2]
    return {"source": "bench", "node": f"PLC-{device}", "resource": "motor", "type": "alarm",
            "metric": "overtemp", "severity": severity_of(key), "message": "Motor over temperature",
            "dedup_key": key, "occurred_at": datetime.now(UTC).isoformat(), "attributes": {"line": "L3"},
            "event_id": eid}  # fmt: skip


def alerta_alert(key: str, eid: str) -> dict[str, Any]:
    """The same event as an Alerta alert: its identity is (environment, resource, event) and the severity."""
    return {"resource": key, "event": "overtemp", "environment": "Production", "severity": severity_of(key),
            "service": ["line3"], "group": "motor", "value": "high", "text": "Motor over temperature",
            "origin": "bench", "attributes": {"eventId": eid}}  # fmt: skip


class Mix:
    """The sustained mix: the hot keys once each (so they are open), then `REPEAT_SHARE` repeats of a random
    hot key and the rest new keys, each seen once."""

    def __init__(self, tag: str, seed: int, *, hot_first: bool, part: int = 0) -> None:
        self.tag = tag
        self.rng = random.Random(seed * 1000 + part)
        self.seq = 0
        self.hot_first = hot_first
        self.part = part  # generators in parallel processes draw new keys from their own part

    def next_key(self) -> str:
        self.seq += 1
        if self.hot_first and self.seq <= HOT_KEYS:
            return f"{self.tag}:hot:{self.seq - 1:04d}"
        if self.rng.random() < REPEAT_SHARE:
            return f"{self.tag}:hot:{self.rng.randrange(HOT_KEYS):04d}"
        return f"{self.tag}:new:{self.part}.{self.seq}"


def hot_keys(tag: str) -> list[str]:
    return [f"{tag}:hot:{k:04d}" for k in range(HOT_KEYS)]


def storm_keys(tag: str, seed: int) -> list[str]:
    """50,000 events from 10,000 devices, 5 each, in a shuffled (fixed) order."""
    keys = [f"{tag}:dev:{d:05d}" for d in range(STORM_DEVICES) for _ in range(STORM_EVENTS // STORM_DEVICES)]
    random.Random(seed).shuffle(keys)
    return keys


# ---------------------------------------------------------------------------------------------- MQTT


@dataclass
class PublishReport:
    tag: str
    published: int = 0
    acked: int = 0
    first_wall: float = 0.0
    last_wall: float = 0.0
    behind_max_s: float = 0.0  # how far the publisher fell behind its schedule at worst
    per_key: Counter[str] = field(default_factory=Counter)
    error: str = ""


def publish_paced(port: int, tag: str, keys: Iterator[str], rate: float, seconds: float, start_wall: float,
                  probes: Any, probe_every: int, out: Any) -> None:  # fmt: skip
    """Publish native events (QoS 1) at `rate` per second for `seconds`, starting at the wall time `start_wall`.
    Every `probe_every`-th event id goes to `probes` for the commit-visibility poller."""
    import paho.mqtt.client as mqtt

    report = PublishReport(tag)
    try:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{tag}",
                             protocol=mqtt.MQTTv311, clean_session=True)  # fmt: skip
        client.max_inflight_messages_set(2000)
        client.max_queued_messages_set(0)

        def on_publish(_c: Any, _u: Any, _mid: int, _rc: Any, _p: Any) -> None:
            report.acked += 1

        client.on_publish = on_publish
        client.connect("127.0.0.1", port, keepalive=60)
        client.loop_start()
        time.sleep(max(0.0, start_wall - time.time()))
        start = time.monotonic()
        report.first_wall = time.time()
        seq = 0
        exhausted = False
        while not exhausted:
            now = time.monotonic() - start
            if now >= seconds:
                break
            due = int(now * rate) + 1
            report.behind_max_s = max(report.behind_max_s, (due - seq) / rate)
            while seq < due:
                key = next(keys, None)
                if key is None:
                    exhausted = True
                    break
                eid = event_id(tag, seq)
                payload = json.dumps(native_event(key, eid), separators=(",", ":"))
                client.publish(f"plantdesk/events/bench/{key.rpartition(':')[2]}", payload, qos=1)
                report.per_key[key] += 1
                if probes is not None and seq % probe_every == 0:
                    probes.put((eid, time.time()))
                seq += 1
            time.sleep(0.002)
        report.published = seq
        report.last_wall = time.time()
        deadline = time.monotonic() + 60
        while report.acked < report.published and time.monotonic() < deadline:
            time.sleep(0.05)
        client.loop_stop()
        client.disconnect()
    except Exception as exc:  # reported to the parent, which fails the run with it
        report.error = repr(exc)
    out.put(report)


# ---------------------------------------------------------------------------------------------- HTTP


@dataclass
class HttpReport:
    label: str
    requests: int = 0
    events_ok: int = 0
    failed: int = 0
    first_error: str = ""
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    per_key: Counter[str] = field(default_factory=Counter)


# A request factory returns the body and the keys it carries, or None when there is nothing left to send.
Factory = Callable[[], tuple[bytes, list[str]] | None]


async def _one_connection(host: str, port: int, head: bytes, make: Factory, ok_status: int, deadline: float,
                          report: HttpReport) -> None:  # fmt: skip
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    while time.monotonic() < deadline:
        item = make()
        if item is None:
            break
        body, keys = item
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            start = time.perf_counter()
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            status = int((await reader.readline()).split()[1])
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            answer = await reader.readexactly(length)
            report.latencies_ms.append((time.perf_counter() - start) * 1000)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            report.failed += len(keys)
            report.first_error = report.first_error or repr(exc)
            if writer is not None:
                writer.close()
            writer = None
            await asyncio.sleep(0.05)
            continue
        report.requests += 1
        if status == ok_status:
            report.events_ok += len(keys)
            report.per_key.update(keys)
        else:
            report.failed += len(keys)
            report.first_error = report.first_error or f"{status}: {answer[:300]!r}"
        if close and writer is not None:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def http_load(label: str, port: int, path: str, token: str, make: Factory, ok_status: int, connections: int,
              seconds: float, start_wall: float, out: Any) -> None:  # fmt: skip
    """`connections` kept-alive connections (reopened when the server closes them) in one asyncio loop,
    each sending the next body from `make` until it returns None or `seconds` are over."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}"
            "Content-Type: application/json\r\nContent-Length: ").encode()  # fmt: skip
    report = HttpReport(label)

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_wall - time.time()))
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_one_connection("127.0.0.1", port, head, make, ok_status, deadline, report)
                               for _ in range(connections)))  # fmt: skip
        report.seconds = time.monotonic() - started

    asyncio.run(main())
    out.put(report)


def factory(kind: str, keys: Iterator[str], tag: str, batch: int) -> Factory:
    """Bodies for `kind`: 'native' (one PlantDesk event, or a list of `batch`), or 'alerta' (one alert)."""
    seq = 0

    def make() -> tuple[bytes, list[str]] | None:
        nonlocal seq
        picked: list[str] = []
        for key in keys:
            picked.append(key)
            if len(picked) == batch:
                break
        if not picked:
            return None
        docs = []
        for key in picked:
            eid = event_id(tag, seq)
            seq += 1
            docs.append(alerta_alert(key, eid) if kind == "alerta" else native_event(key, eid))
        doc: Any = docs if batch > 1 else docs[0]
        return json.dumps(doc, separators=(",", ":")).encode(), picked

    return make


def mix_keys(mix: Mix, limit: int) -> Iterator[str]:
    for _ in range(limit):
        yield mix.next_key()
