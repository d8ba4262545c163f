"""Publishing to the real broker and driving an ingest worker in the test's own thread (its database work
then runs on the test database), with topics and client ids unique to each test."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from plantdesk.events.mqtt.connection import Broker
from plantdesk.events.mqtt.worker import Options, Worker

HOST, PORT = "127.0.0.1", 1883


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Publisher:
    def __init__(self, host: str = HOST, port: int = PORT) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=unique("pub-"), protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | str | Any) -> None:
        self.many([(topic, payload)])

    def many(self, messages: list[tuple[str, Any]]) -> None:
        infos = []
        for topic, payload in messages:
            body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
            infos.append(self.client.publish(topic, body, qos=1))
        for info in infos:
            info.wait_for_publish(10)
            assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextmanager
def publisher(host: str = HOST, port: int = PORT) -> Iterator[Publisher]:
    pub = Publisher(host, port)
    try:
        yield pub
    finally:
        pub.close()


@contextmanager
def worker(client_id: str, *, events: str = "", sparkplug: str = "", **options: Any) -> Iterator[Worker]:
    """A started worker on the real broker, subscribed before the test publishes; closed afterwards."""
    w = Worker(Broker(HOST, PORT), Options(
        client_id=client_id, share_group=f"g-{client_id}", events_topic=events or unique("t/") + "/#",
        sparkplug_topic=sparkplug, session_expiry=300, **options,
    ))  # fmt: skip
    w.start()
    try:
        assert w.wait_ready(10), "the worker did not subscribe"
        yield w
    finally:
        w.close()


def pump(w: Worker, until: Callable[[], bool], timeout: float = 10.0) -> None:
    """Run the worker's loop in this thread until `until()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        w.step(timeout=0.05)
        if until():
            return
    raise AssertionError("the ingest did not get there in time")


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def settle(w: Worker, seconds: float = 0.5) -> None:
    """Let anything still on its way be processed (to show that nothing more arrives)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        w.step(timeout=0.05)
