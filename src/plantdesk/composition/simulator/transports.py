"""How the simulator's events travel: REST (`POST /api/v1/events`), native JSON over MQTT, Sparkplug B over
MQTT. Each raises SimulatorError with one readable sentence when the other end is unreachable or refuses."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from plantdesk.composition.simulator.scenario import Step
from plantdesk.composition.simulator.sparkplug import EdgeNode, Message
from plantdesk.events.mqtt.connection import Broker

TIMEOUT = 10.0  # seconds for a connection or an acknowledgement


class SimulatorError(Exception):
    """The simulation cannot go on; the message is what the user reads."""


class Transport(Protocol):
    name: str

    def open(self) -> None: ...

    def carries(self, step: Step) -> bool: ...

    def send(self, step: Step, event: dict[str, Any]) -> str:
        """Deliver one step; returns a note for the step's line (empty for none)."""
        ...

    def close(self) -> None: ...


class RestTransport:
    name = "REST"

    def __init__(self, url: str, token: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise SimulatorError(f"--url: an http:// or https:// address, not {url!r}.")
        self.url = url.rstrip("/")
        self.token = token

    def open(self) -> None:
        pass  # the first event shows whether the server is there and takes the token

    def carries(self, step: Step) -> bool:
        return True

    def send(self, step: Step, event: dict[str, Any]) -> str:
        request = urllib.request.Request(  # noqa: S310 (http or https, checked above)
            f"{self.url}/api/v1/events", data=json.dumps(event).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (checked above)
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = _detail(exc.read())
            if exc.code in (401, 403):
                raise SimulatorError(f"PlantDesk at {self.url} refused the token ({exc.code}): {detail}") from exc
            raise SimulatorError(f"PlantDesk at {self.url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SimulatorError(f"cannot reach PlantDesk at {self.url}: {reason}") from exc
        if body.get("dead_letters"):  # the script's events are well formed: a dead letter is a version mismatch
            raise SimulatorError(f"PlantDesk at {self.url} could not read an event: {body['dead_letters'][0]}")
        return ""

    def close(self) -> None:
        pass


def _detail(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail") or body[:200].decode(errors="replace"))
    except (ValueError, AttributeError):
        return body[:200].decode(errors="replace") or "no detail"


class _Client:
    """A paho client connected in the foreground: connect errors surface here, not in paho's thread."""

    def __init__(self, broker: Broker, client_id: str, will: Message | None = None) -> None:
        self.broker = broker
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if will is not None:
            self.client.will_set(will.topic, will.payload, qos=will.qos)
        self._connected = threading.Event()
        self._refusal = ""
        self.client.on_connect = self._on_connect

    def connect(self) -> None:
        where = f"{self.broker.host}:{self.broker.port}"
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=30)
        except OSError as exc:
            raise SimulatorError(f"cannot reach the MQTT broker at {where}: {exc}") from exc
        self.client.loop_start()
        if not self._connected.wait(TIMEOUT) or self._refusal:
            self.close()
            raise SimulatorError(f"the MQTT broker at {where} refused the connection: {self._refusal or 'no answer'}")

    def publish(self, topic: str, payload: bytes | str, qos: int) -> None:
        info = self.client.publish(topic, payload, qos=qos)
        try:
            info.wait_for_publish(TIMEOUT)
        except (RuntimeError, ValueError) as exc:  # paho: not connected any more, or the queue is full
            raise SimulatorError(f"the MQTT broker at {self.broker.host}:{self.broker.port} went away: {exc}") from exc
        if not info.is_published():
            raise SimulatorError(f"the MQTT broker at {self.broker.host}:{self.broker.port} did not take {topic}")

    def close(self) -> None:
        self.client.disconnect()  # a normal DISCONNECT: the broker discards the will
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags, reason: ReasonCode,
                    properties: Any) -> None:  # fmt: skip
        if reason.is_failure:
            self._refusal = str(reason)
        self._connected.set()


class MqttTransport:
    """Native JSON events on `<prefix>/<source>/<node>` at QoS 1 (the broker keeps them for the ingest)."""

    name = "MQTT"

    def __init__(self, broker: Broker, *, prefix: str, client_id: str) -> None:
        self.prefix = prefix.rstrip("/")
        self._client = _Client(broker, client_id)

    def open(self) -> None:
        self._client.connect()

    def carries(self, step: Step) -> bool:
        return True

    def send(self, step: Step, event: dict[str, Any]) -> str:
        self._client.publish(f"{self.prefix}/{event['source']}/{event['node']}", json.dumps(event), qos=1)
        return ""

    def close(self) -> None:
        self._client.close()


class SparkplugTransport:
    """The demo gateway as a Sparkplug B edge node. Its own death and rebirth are its MQTT session's: NDEATH,
    then a disconnect; later a new connection (next bdSeq, new will), NBIRTH and the DBIRTHs. At the end it
    disconnects normally without NDEATH, as if it went on running, so no run ends with the gateway down."""

    name = "Sparkplug B"

    def __init__(self, broker: Broker, node: EdgeNode, *, client_id: str) -> None:
        self.broker = broker
        self.node = node
        self.client_id = client_id
        self._client: _Client | None = None

    def open(self) -> None:
        self._connect()

    def carries(self, step: Step) -> bool:
        return step.tag is not None

    def send(self, step: Step, event: dict[str, Any]) -> str:
        tag = step.tag
        now_ms = int(time.time() * 1000)
        if tag is not None and not tag.device and not tag.metric:  # the node's own liveness
            if step.clears:
                if self.node.online:
                    return "(already online)"
                self._connect()
                return f"(NBIRTH bdSeq {self.node.bd_seq} and {len(self.node.devices)} DBIRTH)"
            if not self.node.online:
                return "(already offline)"
            death = self.node.death()
            self._publish(death)
            self._disconnect()
            self.node.went_offline()
            return f"({death.kind} {self.node.group}/{self.node.edge_node})"
        messages = self.node.messages(step, now_ms)
        for message in messages:
            self._publish(message)
        return f"({', '.join(m.kind for m in messages)})" if messages else "(not sent: offline)"

    def close(self) -> None:
        self._disconnect()

    def _connect(self) -> None:
        self._client = _Client(self.broker, f"{self.client_id}-{self.node.bd_seq}", will=self.node.death())
        self._client.connect()
        for message in self.node.births(int(time.time() * 1000)):
            self._publish(message)

    def _publish(self, message: Message) -> None:
        assert self._client is not None  # connected in open()
        self._client.publish(message.topic, message.payload, message.qos)

    def _disconnect(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
