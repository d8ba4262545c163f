"""One MQTT 5 connection of the ingest: a persistent session (clean start off, a session expiry), QoS 1
subscriptions renewed on every connect, manual acknowledgement, and paho's own reconnect with backoff.

Received messages go to a queue the worker drains; the worker acknowledges them once they are committed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

log = logging.getLogger("plantdesk.events.mqtt")


@dataclass(frozen=True)
class Broker:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str, host: str | None = None, port: int | None = None) -> Broker:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp", ""):
            raise ValueError(f"PLANTDESK_MQTT_URL: only mqtt:// is supported, not {parts.scheme}://.")
        return cls(host or parts.hostname or "127.0.0.1", port or parts.port or 1883, parts.username, parts.password)


@dataclass(frozen=True)
class Delivery:
    """One received message and what is needed to acknowledge it on the connection that got it."""

    connection: Connection = field(repr=False)
    generation: int  # the connection's session instance at receipt (a reconnect starts a new one)
    mid: int
    qos: int
    topic: str
    payload: bytes
    arrived: float  # time.monotonic()


class Connection:
    def __init__(self, broker: Broker, client_id: str, topics: list[str], inbox: queue.Queue[Delivery], *,
                 receive_maximum: int, session_expiry: int) -> None:  # fmt: skip
        self.client_id = client_id
        self.topics = topics
        self.generation = 0
        self.connected = False
        self.subscribed = threading.Event()  # set once the broker has granted the subscriptions
        self._inbox = inbox
        self._broker = broker
        self._receive_maximum = receive_maximum
        self._session_expiry = session_expiry
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client

    def start(self) -> None:
        connect = Properties(PacketTypes.CONNECT)
        # Receive Maximum lets the broker keep this many unacknowledged messages in flight to us: batches of
        # hundreds need it (Mosquitto's max_inflight_messages, 20 by default, only limits MQTT 3.1.1 clients).
        connect.ReceiveMaximum = self._receive_maximum
        connect.SessionExpiryInterval = self._session_expiry
        self.client.connect_async(
            self._broker.host, self._broker.port, keepalive=30, clean_start=False, properties=connect
        )
        self.client.loop_start()  # connects, and reconnects with backoff, in paho's network thread

    def stop(self) -> None:
        self.client.disconnect()  # queued after any acknowledgements already handed to paho
        self.client.loop_stop()

    def ack(self, delivery: Delivery) -> None:
        # After a reconnect the broker sends the unacknowledged messages again: they are acknowledged then.
        if delivery.generation == self.generation and self.connected:
            self.client.ack(delivery.mid, delivery.qos)

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, reason: ReasonCode,
                    properties: Properties | None) -> None:  # fmt: skip
        if reason.is_failure:
            log.warning("MQTT %s: connection refused by %s:%s: %s", self.client_id, self._broker.host,
                        self._broker.port, reason)  # fmt: skip
            return
        self.generation += 1
        self.connected = True
        log.info("MQTT %s: connected to %s:%s (session %s)", self.client_id, self._broker.host, self._broker.port,
                 "resumed" if flags.session_present else "new")  # fmt: skip
        # Subscribing again is harmless on a resumed session and restores an expired one.
        client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in self.topics])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reasons: list[ReasonCode],
                      properties: Properties | None) -> None:  # fmt: skip
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.error("MQTT %s: subscription refused: %s", self.client_id, ", ".join(refused))
        else:
            self.subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags, reason: ReasonCode,
                       properties: Properties | None) -> None:  # fmt: skip
        self.connected = False
        self.subscribed.clear()
        if reason.value != 0:
            log.warning("MQTT %s: connection lost (%s); reconnecting with backoff", self.client_id, reason)

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        topic = message._topic.decode("utf-8", "replace")  # never raise in paho's thread over a bad topic
        self._inbox.put(Delivery(self, self.generation, message.mid, message.qos, topic, bytes(message.payload),
                                 time.monotonic()))  # fmt: skip
