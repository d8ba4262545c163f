"""The ingest loop: drain received messages into batches, translate them, store each batch in one
transaction and only then acknowledge its messages (ARCHITECTURE rule 10).

A batch is flushed when it holds `batch_size` messages or `max_wait` seconds after its first message.
While the database refuses a batch, nothing is acknowledged and the same messages are tried again with
backoff; the broker stops sending once Receive Maximum messages are unacknowledged, and redelivers them
if the process dies meanwhile (the inbox is idempotent, so storing twice changes nothing).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from django.db import DatabaseError, InterfaceError, close_old_connections, connection, transaction

from plantdesk.accounts.actions import get_system_user
from plantdesk.accounts.models import User
from plantdesk.events.ingest import Received, accept_received
from plantdesk.events.mqtt import native
from plantdesk.events.mqtt.connection import Broker, Connection, Delivery
from plantdesk.events.mqtt.translators import TopicTranslator, registered

log = logging.getLogger("plantdesk.events.mqtt")
NATIVE_TOPIC, SPARKPLUG_TOPIC = "plantdesk/events/#", "spBv1.0/#"


@dataclass(frozen=True)
class Options:
    client_id: str = "plantdesk-ingest"
    connections: int = 1
    share_group: str = "plantdesk"
    batch_size: int = 500
    max_wait: float = 0.02  # seconds
    receive_maximum: int = 65535  # the most MQTT allows: a backlog waits here, not in the broker (which drops)
    session_expiry: int = 7 * 24 * 3600  # seconds the broker keeps our session (and queues for it) while we are away
    account: str = ""  # the integration account the events are received by; the system account if empty
    events_topic: str = NATIVE_TOPIC  # narrower filters let tests and split deployments read a part
    sparkplug_topic: str = SPARKPLUG_TOPIC  # "" reads no Sparkplug


class Worker:
    def __init__(self, broker: Broker, options: Options) -> None:
        self.options = options
        self.queue: queue.Queue[Delivery] = queue.Queue()
        # Per topic prefix: its channel and translator (Sparkplug B, registered by the sparkplug app).
        self.translators: list[tuple[str, str, TopicTranslator]] = [
            (r.prefix, r.channel, r.factory()) for r in registered()
        ]
        self.stored = 0  # messages committed and acknowledged, for the log and the tests
        self._stop = threading.Event()
        self._actor: User | None = None
        self.connections = [
            Connection(broker, self._client_id(n), self._topics(n), self.queue,
                       receive_maximum=options.receive_maximum, session_expiry=options.session_expiry)
            for n in range(options.connections)
        ]  # fmt: skip

    def _client_id(self, n: int) -> str:
        return self.options.client_id if n == 0 else f"{self.options.client_id}-{n}"

    def _topics(self, n: int) -> list[str]:
        # Several connections share the native events ($share/<group>/...: each message goes to one of them).
        # One connection subscribes plainly: Mosquitto 2.0 does not restore shared subscriptions from its
        # persistence file, so after a broker restart a shared session would miss what is published before it
        # reconnects. Sparkplug needs order (a BIRTH's aliases before the DATA that uses them, a DEATH after
        # its BIRTH), so one connection reads all of it.
        events = self.options.events_topic  # "" reads no native events
        shared = f"$share/{self.options.share_group}/{events}" if self.options.connections > 1 else events
        topics = [shared] if events else []
        sparkplug = self.options.sparkplug_topic
        return [*topics, sparkplug] if n == 0 and sparkplug else topics

    def start(self) -> None:
        for conn in self.connections:
            conn.start()

    def stop(self) -> None:
        """Ask the loop to finish: what has been received is stored and acknowledged, then it disconnects."""
        self._stop.set()

    def run(self) -> None:
        self.start()
        try:
            while not self._stop.is_set():
                self.step(timeout=0.2)
            while self.step(timeout=0):  # store and acknowledge what was received before the stop
                pass
        finally:
            self.close()

    def close(self) -> None:
        for conn in self.connections:
            conn.stop()
        log.info("MQTT ingest stopped after %s messages", self.stored)

    def wait_ready(self, timeout: float) -> bool:
        """Whether every connection has its subscriptions within `timeout` seconds (for tests and tools)."""
        return all(conn.subscribed.wait(timeout) for conn in self.connections)

    def step(self, timeout: float) -> int:
        """Collect one batch (waiting up to `timeout` for its first message), store it, acknowledge it."""
        batch = self._collect(timeout)
        if batch:
            self._store(batch)
            for delivery in batch:
                delivery.connection.ack(delivery)
            self.stored += len(batch)
        return len(batch)

    def _collect(self, timeout: float) -> list[Delivery]:
        try:
            first = self.queue.get(timeout=timeout) if timeout > 0 else self.queue.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        deadline = first.arrived + self.options.max_wait
        while len(batch) < self.options.batch_size:
            try:
                batch.append(self.queue.get_nowait())
                continue
            except queue.Empty:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(self.queue.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _store(self, batch: list[Delivery]) -> None:
        delay = 0.5
        while True:
            try:
                self._commit(batch)
                return
            except (DatabaseError, InterfaceError) as exc:
                # Nothing is acknowledged: keep the messages and try again; Sparkplug state is read afresh.
                log.warning("MQTT ingest: database error, %s messages not acknowledged, retrying in %.1fs: %s",
                            len(batch), delay, exc)  # fmt: skip
                for _, _, translator in self.translators:
                    translator.reset()
                if not connection.in_atomic_block:
                    connection.close()
                if self._stop.is_set():
                    raise  # stopping while the database is away: exit unacknowledged, the broker keeps them
                self._stop.wait(delay)
                delay = min(delay * 2, 8.0)
                close_old_connections()

    def _commit(self, batch: list[Delivery]) -> None:
        by_channel: dict[str, list[Received]] = {native.CHANNEL: []}
        with transaction.atomic():  # a translator's state (Sparkplug's) and the events it produced commit together
            for delivery in batch:
                channel, items = self._translate(delivery)
                by_channel.setdefault(channel, []).extend(items)
            for _, _, translator in self.translators:
                translator.save()
            actor = self._account()
            for channel, items in by_channel.items():
                for start in range(0, len(items), 1000):
                    accept_received(items[start : start + 1000], channel=channel, actor=actor)

    def _translate(self, delivery: Delivery) -> tuple[str, list[Received]]:
        channel, translator = next(
            ((c, t) for prefix, c, t in self.translators if delivery.topic.startswith(prefix)), (native.CHANNEL, None)
        )
        try:
            if translator is not None:
                return channel, translator.translate(delivery.topic, delivery.payload)
            return channel, native.translate(delivery.topic, delivery.payload)
        except (DatabaseError, InterfaceError):
            raise
        except Exception as exc:  # a message the adapter cannot read must never stop the others
            log.exception("MQTT ingest: cannot translate a message on %s", delivery.topic)
            raw = native.envelope(delivery.topic, delivery.payload)
            return channel, [Received(None, raw=raw, problem=f"payload: unreadable ({exc}).", source=channel)]

    def _account(self) -> User:
        if self._actor is None:
            name = self.options.account
            self._actor = User.objects.get(username=name) if name else get_system_user()
        return self._actor
