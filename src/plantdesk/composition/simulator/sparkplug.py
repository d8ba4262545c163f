"""The simulated edge node as Sparkplug B sees it: BIRTH certificates with bdSeq and metric aliases, alarm
booleans in DATA by alias only, DEATH certificates. Pure (no MQTT): it returns topics and payloads, and
keeps what an edge node keeps (session number, sequence, aliases, current values) so a BIRTH after a DEATH
carries the values of the moment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plantdesk.composition.simulator.scenario import Step, Tag
from plantdesk.sparkplug.schema import DataType, MetricValue, encode_payload

NAMESPACE = "spBv1.0"
REBIRTH = "Node Control/Rebirth"  # every edge node announces it; never an alarm


@dataclass(frozen=True)
class Message:
    kind: str  # NBIRTH, DDATA, NDEATH, ...
    topic: str
    payload: bytes
    qos: int = 0  # Sparkplug 3.0: BIRTH, DATA and DDEATH at QoS 0, NDEATH (the will) at QoS 1


class EdgeNode:
    """One edge node with its devices. `devices` maps a device id to its alarm metrics; `node_metrics` are
    the node's own alarms. Aliases are unique across the node and its devices, as the specification asks."""

    def __init__(self, group: str, edge_node: str, devices: dict[str, list[str]], node_metrics: list[str],
                 *, bd_seq: int) -> None:  # fmt: skip
        self.group, self.edge_node = group, edge_node
        self.bd_seq = bd_seq % 256
        self.seq = 0
        self.online = False
        self.devices = sorted(devices)
        self.devices_online: set[str] = set()
        self.aliases: dict[tuple[str, str], int] = {}
        for alias, metric in enumerate([REBIRTH, *node_metrics], start=1):
            self.aliases[("", metric)] = alias
        for index, device in enumerate(self.devices, start=1):
            for offset, metric in enumerate(devices[device]):
                self.aliases[(device, metric)] = 100 * index + offset
        self.values: dict[tuple[str, str], bool] = dict.fromkeys(self.aliases, False)

    @classmethod
    def for_steps(cls, steps: Iterable[Step], group: str, edge_node: str, *, bd_seq: int,
                  devices: Iterable[str] = ()) -> EdgeNode:  # fmt: skip
        """The node the script needs: every PLC device carries the same alarm tags (one PLC program
        template), the node its own."""
        tags = {s.tag for s in steps if s.tag is not None}
        names = {*devices, *(t.device for t in tags if t.device)}
        device_metrics = sorted({t.metric for t in tags if t.device and t.metric})
        node_metrics = sorted({t.metric for t in tags if not t.device and t.metric})
        return cls(group, edge_node, dict.fromkeys(names, device_metrics), node_metrics, bd_seq=bd_seq)

    def topic(self, kind: str, device: str = "") -> str:
        return "/".join(p for p in (NAMESPACE, self.group, kind, self.edge_node, device) if p)

    def death(self) -> Message:
        """NDEATH: the will registered at connect, or sent by the node itself before it leaves."""
        payload = encode_payload([MetricValue("bdSeq", self.bd_seq, DataType.INT64)])
        return Message("NDEATH", self.topic("NDEATH"), payload, qos=1)

    def went_offline(self) -> None:
        """The session ended: the next connect is a new session with the next bdSeq (and a new will)."""
        self.online = False
        self.devices_online.clear()
        self.bd_seq = (self.bd_seq + 1) % 256

    def births(self, now_ms: int) -> list[Message]:
        """NBIRTH (sequence 0, bdSeq, every node metric with its alias) and a DBIRTH for every device."""
        self.seq = 0
        metrics = [MetricValue("bdSeq", self.bd_seq, DataType.INT64, timestamp=now_ms)]
        metrics += [self._metric(key, now_ms, named=True) for key in self.aliases if not key[0]]
        births = [Message("NBIRTH", self.topic("NBIRTH"), encode_payload(metrics, timestamp=now_ms, seq=0))]
        self.online = True
        return births + [self.device_birth(device, now_ms) for device in self.devices]

    def device_birth(self, device: str, now_ms: int) -> Message:
        self.devices_online.add(device)
        metrics = [self._metric(key, now_ms, named=True) for key in self.aliases if key[0] == device]
        return Message(
            "DBIRTH", self.topic("DBIRTH", device), encode_payload(metrics, timestamp=now_ms, seq=self._next())
        )

    def device_death(self, device: str, now_ms: int) -> Message:
        self.devices_online.discard(device)
        return Message("DDEATH", self.topic("DDEATH", device), encode_payload([], timestamp=now_ms, seq=self._next()))

    def data(self, tag: Tag, value: bool, now_ms: int, severity: str = "") -> Message:
        """NDATA or DDATA with the alarm by alias only (the name travels once, in the BIRTH); a raised alarm
        says its severity in a metric property, which the ingest reads."""
        key = (tag.device, tag.metric)
        self.values[key] = value
        metric = self._metric(key, now_ms, named=False, severity=severity if value else "")
        kind = "DDATA" if tag.device else "NDATA"
        return Message(kind, self.topic(kind, tag.device), encode_payload([metric], timestamp=now_ms, seq=self._next()))

    def messages(self, step: Step, now_ms: int) -> list[Message]:
        """What the node publishes for a step on one of its devices or its own alarms (not its own death or
        birth: those are the connection's, see the transport). Empty while the node or device is offline."""
        tag = step.tag
        if tag is None or not self.online:
            return []
        if not tag.metric:
            if step.clears:
                return [] if tag.device in self.devices_online else [self.device_birth(tag.device, now_ms)]
            return [self.device_death(tag.device, now_ms)] if tag.device in self.devices_online else []
        if tag.device and tag.device not in self.devices_online:
            return []
        return [self.data(tag, not step.clears, now_ms, step.severity)]

    def _metric(self, key: tuple[str, str], now_ms: int, *, named: bool, severity: str = "") -> MetricValue:
        return MetricValue(
            key[1] if named else None, self.values[key], DataType.BOOLEAN, alias=self.aliases[key],
            timestamp=now_ms, properties={"severity": severity} if severity else {},
        )  # fmt: skip

    def _next(self) -> int:
        """The sequence number of the next message after the NBIRTH (0..255, wrapping)."""
        self.seq = (self.seq + 1) % 256
        return self.seq
