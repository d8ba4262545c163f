"""Reading Sparkplug topics and metrics: pure functions, no state."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from plantdesk.sparkplug.schema import DataType

NAMESPACE = "spBv1.0"
NODE_TYPES = ("NBIRTH", "NDEATH", "NDATA", "NCMD")
DEVICE_TYPES = ("DBIRTH", "DDEATH", "DDATA", "DCMD")
IGNORED_TYPES = ("NCMD", "DCMD", "STATE")  # commands to OT and host states: not events


@dataclass(frozen=True)
class Topic:
    group: str
    kind: str  # NBIRTH, DDATA, STATE, ...
    edge_node: str
    device: str = ""

    @property
    def source(self) -> str:
        return f"sparkplug:{self.group}"

    @property
    def node(self) -> str:
        """The CI the message is about, as its Sparkplug path: group/edge node[/device]. Edge node ids are
        unique only within their group and device ids within their node; the CMDB names gateways and PLCs
        by this path as an alias (the demo's BER-Plant/EdgeNode1/L3PLC01), so the alert finds its CI."""
        return "/".join(p for p in (self.group, self.edge_node, self.device) if p)


def source_of(topic: str) -> str:
    """The inbox source of a Sparkplug message, even one whose topic is otherwise unreadable."""
    parts = topic.split("/")
    return f"sparkplug:{parts[1]}" if len(parts) > 2 and parts[1] and parts[1] != "STATE" else "sparkplug"


def parse_topic(topic: str) -> Topic:
    """`spBv1.0/<group>/<type>/<edge node>[/<device>]` or `spBv1.0/STATE/<host>`; ValueError otherwise."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[0] != NAMESPACE:
        raise ValueError(f"topic: not a Sparkplug B topic: {topic!r}.")
    if parts[1] == "STATE":
        return Topic(group="", kind="STATE", edge_node="/".join(parts[2:]))
    kind = parts[2]
    if kind in NODE_TYPES and len(parts) == 4:
        return Topic(parts[1], kind, parts[3])
    if kind in DEVICE_TYPES and len(parts) == 5:
        return Topic(parts[1], kind, parts[3], parts[4])
    if kind not in NODE_TYPES + DEVICE_TYPES:
        raise ValueError(f"topic: unknown Sparkplug message type {kind!r}.")
    raise ValueError(f"topic: {kind} needs {'4' if kind in NODE_TYPES else '5'} levels: {topic!r}.")


def envelope(topic: str, payload: bytes, index: int | None = None) -> str:
    """What the inbox keeps of one Sparkplug event: the topic, the protobuf bytes verbatim (base64) and which
    metric the event is about (None for a BIRTH/DEATH liveness event), enough to normalise it again."""
    body: dict[str, Any] = {"topic": topic, "payload_b64": base64.b64encode(payload).decode()}
    if index is not None:
        body["index"] = index
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def open_envelope(stored: str) -> tuple[str, bytes, int | None]:
    try:
        body = json.loads(stored)
        index = body.get("index")
        if index is not None and not isinstance(index, int):
            raise TypeError
        return str(body["topic"]), base64.b64decode(body["payload_b64"], validate=True), index
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError("payload: not a Sparkplug envelope (topic, payload_b64, index).") from exc


def metric_value(metric: Any) -> Any:
    """The metric's value as Python, None when null or a data set / template. Read from whichever value
    field is set, because DATA messages usually leave out the datatype (the spec says the BIRTH has it)."""
    if metric.is_null:
        return None
    target = metric.WhichOneof("value")
    if target is None or target in ("dataset_value", "template_value", "extension_value"):
        return None
    value = getattr(metric, target)
    if metric.datatype in (DataType.INT8, DataType.INT16, DataType.INT32) and value >= 1 << 31:
        value -= 1 << 32  # signed integers travel as two's complement
    elif metric.datatype == DataType.INT64 and value >= 1 << 63:
        value -= 1 << 64
    return value


def string_property(metric: Any, key: str) -> str | None:
    if not metric.HasField("properties"):
        return None
    for name, value in zip(metric.properties.keys, metric.properties.values, strict=False):
        if name == key and value.HasField("string_value"):
            return str(value.string_value)
    return None


def instant(milliseconds: int) -> str | None:
    """ISO 8601 UTC of a Sparkplug timestamp (ms since the epoch); None when absent (0) or out of range."""
    if not milliseconds:
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None
