"""Sparkplug B messages -> native events (DOMAIN.md 7).

BIRTH / DEATH are liveness: a DEATH opens "<node> offline", the next BIRTH clears the same key. A stale
NDEATH (its bdSeq is not the current birth's) is ignored. Boolean metrics named like an alarm become alarm
events in DATA (and in BIRTH, which carries current values): true triggers, false clears. Historical metrics
are flagged so they never open a live alert. Every event is kept with an envelope (topic, protobuf base64,
metric index) so a dead letter can be normalised again once its BIRTH is known.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db.models import Q
from django.utils import timezone
from google.protobuf.message import DecodeError

from plantdesk.events.ingest import Received
from plantdesk.sparkplug.config import TRIGGER_SEVERITIES, AlarmConfig
from plantdesk.sparkplug.decode import (
    IGNORED_TYPES,
    Topic,
    envelope,
    instant,
    metric_value,
    open_envelope,
    parse_topic,
    source_of,
    string_property,
)
from plantdesk.sparkplug.models import EdgeNode
from plantdesk.sparkplug.schema import decode_payload

log = logging.getLogger(__name__)
Key = tuple[str, str, str]  # group, edge node, device ("" for the node itself)
BIRTHS, DEATHS = ("NBIRTH", "DBIRTH"), ("NDEATH", "DDEATH")
OFFLINE = "offline"


def dedup_key(topic: Topic, metric: str) -> str:
    """Readable and unique per node/device and metric (device ids are only unique within their edge node)."""
    key = "/".join(p for p in ("spBv1.0", topic.group, topic.edge_node, topic.device) if p) + "#" + metric
    return key if len(key) <= 255 else "spBv1.0#" + hashlib.sha256(key.encode()).hexdigest()


def _event(topic: Topic, payload: Any, *, type: str, metric: str, severity: str, message: str,
           stamp: int, historical: bool = False) -> dict[str, Any]:  # fmt: skip
    event: dict[str, Any] = {
        "source": topic.source, "node": topic.node, "type": type, "metric": metric, "severity": severity,
        "message": message[:2000], "dedup_key": dedup_key(topic, metric),
        "attributes": {"group": topic.group, "edge_node": topic.edge_node, "device": topic.device,
                       "message_type": topic.kind, "seq": int(payload.seq), "historical": historical},
    }  # fmt: skip
    occurred = instant(stamp or payload.timestamp)
    if occurred:
        event["occurred_at"] = occurred
    return event


def liveness_event(topic: Topic, payload: Any, config: AlarmConfig) -> dict[str, Any]:
    dead = topic.kind in DEATHS
    what = "device" if topic.device else "edge node"
    return _event(
        topic, payload, type="liveness", metric=OFFLINE, severity=config.offline_severity if dead else "clear",
        message=f"Sparkplug {what} {topic.node} {'offline' if dead else 'online again'} ({topic.kind})", stamp=0,
    )  # fmt: skip


def metric_event(topic: Topic, payload: Any, index: int, name: str, config: AlarmConfig) -> dict[str, Any] | None:
    """The alarm event of metric `index` (named `name`), or None when it is not a boolean alarm metric."""
    metric = payload.metrics[index]
    value = metric_value(metric)
    severity = config.severity_of(name)
    if severity is None or not isinstance(value, bool):
        return None
    if value:
        severity = _property_severity(metric) or severity
    state = "active" if value else "cleared"
    return _event(
        topic, payload, type="alarm", metric=name, severity=severity if value else "clear",
        message=f"{name} {state} on {topic.node}", stamp=metric.timestamp, historical=bool(metric.is_historical),
    )  # fmt: skip


def _property_severity(metric: Any) -> str | None:
    severity = string_property(metric, "severity")
    return severity if severity in TRIGGER_SEVERITIES else None


def _bd_seq(payload: Any) -> int | None:
    for metric in payload.metrics:
        if metric.name == "bdSeq":
            value = metric_value(metric)
            return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


class Translator:
    """Turns Sparkplug messages, in arrival order, into inbox items, keeping the node/device state.

    State changes stay in memory until `save()`, which the caller runs inside the transaction that stores
    the batch: state and inbox commit together. After a failed commit call `reset()` and translate the same
    messages again from the database's state."""

    def __init__(self, config: AlarmConfig | None = None) -> None:
        self.config = config or AlarmConfig.from_env()
        self._states: dict[Key, EdgeNode] = {}
        self._dirty: set[Key] = set()

    def reset(self) -> None:
        self._states.clear()
        self._dirty.clear()

    def save(self) -> None:
        for key in sorted(self._dirty):
            self._states[key].save()  # an UPDATE, or an INSERT when the row is new (or its insert rolled back)
        self._dirty.clear()

    def translate(self, topic_name: str, data: bytes) -> list[Received]:
        try:
            topic = parse_topic(topic_name)
        except ValueError as exc:
            return [_dead(topic_name, data, str(exc), source_of(topic_name))]
        if topic.kind in IGNORED_TYPES:
            return []
        try:
            payload = decode_payload(data)
        except DecodeError as exc:
            return [_dead(topic_name, data, f"payload: not a Sparkplug B protobuf ({exc}).", topic.source)]
        if topic.kind in BIRTHS:
            return self._birth(topic_name, topic, data, payload)
        if topic.kind in DEATHS:
            return self._death(topic_name, topic, data, payload)
        return self._metrics(topic_name, topic, data, payload, self.aliases_for(topic))

    def _birth(self, name: str, topic: Topic, data: bytes, payload: Any) -> list[Received]:
        state = self._state(topic)
        if topic.kind == "NBIRTH":
            state.bd_seq = _bd_seq(payload)
        state.online, state.birth_at = True, timezone.now()
        state.aliases = {str(m.alias): m.name for m in payload.metrics if m.HasField("alias") and m.name}
        self._touch(state)
        items = [Received(liveness_event(topic, payload, self.config), raw=envelope(name, data))]
        return items + self._metrics(name, topic, data, payload, self.aliases_for(topic))

    def _death(self, name: str, topic: Topic, data: bytes, payload: Any) -> list[Received]:
        state = self._state(topic)
        if topic.kind == "NDEATH":
            bd_seq = _bd_seq(payload)
            # The broker publishes an edge node's NDEATH (its will) even after the node has reconnected with
            # a new bdSeq; only the death of the current session means the node is down.
            if state.bd_seq is not None and bd_seq is not None and bd_seq != state.bd_seq:
                log.info("stale NDEATH of %s (bdSeq %s, current %s) ignored", name, bd_seq, state.bd_seq)
                return []
            for device in self._devices_of(topic):
                device.online = False  # a node's death takes its devices with it (they need a DBIRTH again)
                self._touch(device)
        state.online, state.death_at = False, timezone.now()
        self._touch(state)
        return [Received(liveness_event(topic, payload, self.config), raw=envelope(name, data))]

    def _metrics(self, name: str, topic: Topic, data: bytes, payload: Any, resolve: dict[str, str]) -> list[Received]:
        items: list[Received] = []
        for index, metric in enumerate(payload.metrics):
            if metric.WhichOneof("value") != "boolean_value":
                continue  # only booleans can be alarms; the rest is process data
            metric_name = metric.name or resolve.get(str(metric.alias))
            if not metric_name:
                problem = f"payload: metrics[{index}]: unknown alias {metric.alias} (no BIRTH with it seen)."
                items.append(_dead(name, data, problem, topic.source, index))
                continue
            event = metric_event(topic, payload, index, metric_name, self.config)
            if event is not None:
                items.append(Received(event, raw=envelope(name, data, index)))
        return items

    def aliases_for(self, topic: Topic) -> dict[str, str]:
        """Aliases are unique per edge node across its node and device metrics: the device's map first."""
        node = self._state(Topic(topic.group, "", topic.edge_node)).aliases
        return {**node, **self._state(topic).aliases} if topic.device else dict(node)

    def _state(self, topic: Topic) -> EdgeNode:
        key = (topic.group, topic.edge_node, topic.device)
        if key not in self._states:
            found = EdgeNode.objects.filter(group=key[0], edge_node=key[1], device=key[2]).first()
            self._states[key] = found or EdgeNode(
                group=key[0], edge_node=key[1], device=key[2], updated_at=timezone.now()
            )
        return self._states[key]

    def _devices_of(self, topic: Topic) -> list[EdgeNode]:
        known = {k[2] for k in self._states if k[:2] == (topic.group, topic.edge_node) and k[2]}
        stored = EdgeNode.objects.filter(group=topic.group, edge_node=topic.edge_node).exclude(
            Q(device="") | Q(device__in=known)
        )
        for device in stored:
            self._states[(device.group, device.edge_node, device.device)] = device
        return [
            self._state(Topic(topic.group, "", topic.edge_node, d)) for d in sorted(known | {d.device for d in stored})
        ]

    def _touch(self, state: EdgeNode) -> None:
        state.updated_at = timezone.now()
        self._dirty.add((state.group, state.edge_node, state.device))


def _dead(topic: str, data: bytes, problem: str, source: str, index: int | None = None) -> Received:
    return Received(event=None, raw=envelope(topic, data, index), problem=problem, source=source)


def renormalise(stored: str) -> dict[str, Any]:
    """The native event of a kept Sparkplug envelope, as the ingest would make it today (for replaying dead
    letters): aliases from the stored BIRTH maps. ValueError says why there is none."""
    topic_name, data, index = open_envelope(stored)
    topic = parse_topic(topic_name)
    try:
        payload = decode_payload(data)
    except DecodeError as exc:
        raise ValueError(f"payload: not a Sparkplug B protobuf ({exc}).") from exc
    config = AlarmConfig.from_env()
    if index is None:
        if topic.kind not in BIRTHS + DEATHS:
            raise ValueError(f"payload: a {topic.kind} message without a metric index carries no event.")
        return liveness_event(topic, payload, config)
    if not 0 <= index < len(payload.metrics):
        raise ValueError(f"payload: no metric {index} in the message.")
    metric = payload.metrics[index]
    name = metric.name or Translator(config).aliases_for(topic).get(str(metric.alias))
    if not name:
        raise ValueError(f"payload: metrics[{index}]: unknown alias {metric.alias} (no BIRTH with it seen).")
    event = metric_event(topic, payload, index, name, config)
    if event is None:
        raise ValueError(f"payload: metric {name!r} is not a boolean alarm metric.")
    return event
