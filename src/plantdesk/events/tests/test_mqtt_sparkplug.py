"""Sparkplug B through the real broker: liveness from BIRTH/DEATH, alarms from DATA via aliases, stale
deaths, historical metrics, and bad messages as dead letters (the worker runs in the test's thread)."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.events.channels import normalise
from plantdesk.events.models import InboxEvent
from plantdesk.events.tests.mqtt_helpers import Publisher, publisher, pump, settle, unique, worker
from plantdesk.sparkplug.models import EdgeNode
from plantdesk.sparkplug.schema import DataType, MetricValue, encode_payload

# Plain test transactions: the worker runs in this thread, its batch transactions nest as savepoints (a
# transactional test could not flush PostgreSQL: the audit table refuses TRUNCATE). The subprocess tests in
# tests/e2e/test_mqtt_ingest.py commit for real.
pytestmark = pytest.mark.django_db
T0 = 1_790_000_000_000  # ms


def events(group: str) -> list[dict[str, Any]]:
    """The native events of the group in arrival order (the adapter's `event` column)."""
    rows = InboxEvent.objects.filter(source=f"sparkplug:{group}", status="accepted").order_by("id")
    return [row.event for row in rows]


def dead(group: str) -> list[InboxEvent]:
    return list(InboxEvent.objects.filter(source=f"sparkplug:{group}", status="dead").order_by("id"))


def brief(event: dict[str, Any]) -> tuple[str, str, str, str]:
    """The node or device id (the event's node is the Sparkplug path group/edge node[/device])."""
    node = event["node"].rsplit("/", 1)[-1]
    return node, event["type"], event["metric"], event["severity"]


def nbirth(bd_seq: int, *metrics: MetricValue, seq: int = 0) -> bytes:
    return encode_payload([MetricValue("bdSeq", bd_seq, DataType.INT64), *metrics], timestamp=T0, seq=seq)


def ndeath(bd_seq: int) -> bytes:
    return encode_payload([MetricValue("bdSeq", bd_seq, DataType.INT64)], timestamp=T0 + 9000)


class Plant:
    def __init__(self, pub: Publisher, group: str) -> None:
        self.pub, self.group = pub, group

    def send(self, kind: str, node: str, payload: bytes, device: str = "") -> None:
        path = f"spBv1.0/{self.group}/{kind}/{node}" + (f"/{device}" if device else "")
        self.pub.send(path, payload)


@pytest.fixture
def group() -> str:
    return unique("G")


def test_birth_data_and_death_of_a_node_and_its_device(group: str) -> None:
    with worker(unique("t-"), sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        plant = Plant(pub, group)
        plant.send("NBIRTH", "E1", nbirth(
            0, MetricValue("Filler/MotorAlarm", False, alias=10),
            MetricValue("Filler/Speed", 12.5, DataType.FLOAT, alias=11),
            MetricValue("Filler/Running", True, alias=12),  # a boolean that is no alarm
        ))  # fmt: skip
        plant.send("NDATA", "E1", encode_payload([
            MetricValue(None, True, alias=10, timestamp=T0 + 1000), MetricValue(None, 13.0, DataType.FLOAT, alias=11),
            MetricValue(None, False, alias=12),
        ], seq=1))  # fmt: skip
        plant.send("DBIRTH", "E1", encode_payload([MetricValue("Cap/Fault", False, alias=20)], seq=2), device="Capper")
        plant.send("DDATA", "E1", encode_payload([
            MetricValue(None, True, alias=20, properties={"severity": "critical"}),
        ], seq=3), device="Capper")  # fmt: skip
        plant.send("NDATA", "E1", encode_payload([MetricValue(None, False, alias=10)], seq=4))
        plant.send("DDEATH", "E1", encode_payload([], seq=5), device="Capper")
        plant.send("NDEATH", "E1", ndeath(0))
        pump(w, lambda: len(events(group)) == 9)
        settle(w)
    assert [brief(e) for e in events(group)] == [
        ("E1", "liveness", "offline", "clear"),  # NBIRTH
        ("E1", "alarm", "Filler/MotorAlarm", "clear"),  # its current value in the BIRTH
        ("E1", "alarm", "Filler/MotorAlarm", "major"),  # NDATA by alias
        ("Capper", "liveness", "offline", "clear"),  # DBIRTH
        ("Capper", "alarm", "Cap/Fault", "clear"),
        ("Capper", "alarm", "Cap/Fault", "critical"),  # severity from the metric's property
        ("E1", "alarm", "Filler/MotorAlarm", "clear"),
        ("Capper", "liveness", "offline", "critical"),  # DDEATH
        ("E1", "liveness", "offline", "critical"),  # NDEATH with the current bdSeq
    ]
    stored = events(group)
    assert stored[0]["dedup_key"] == stored[8]["dedup_key"] == f"spBv1.0/{group}/E1#offline"
    assert stored[3]["dedup_key"] == f"spBv1.0/{group}/E1/Capper#offline"
    assert stored[2]["occurred_at"].startswith("2026-09-21T")  # the metric's own timestamp
    assert stored[2]["attributes"]["historical"] is False
    assert dead(group) == []
    node, device = (EdgeNode.objects.get(group=group, edge_node="E1", device=d) for d in ("", "Capper"))
    assert (node.online, node.bd_seq, node.aliases["10"]) == (False, 0, "Filler/MotorAlarm")
    assert (device.online, device.aliases) == (False, {"20": "Cap/Fault"})


def test_a_stale_ndeath_is_ignored_and_the_current_one_is_not(group: str) -> None:
    with worker(unique("t-"), sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        plant = Plant(pub, group)
        plant.send("NBIRTH", "E1", nbirth(4))
        plant.send("NBIRTH", "E1", nbirth(5, seq=1))  # the node came back before the broker sent its will
        plant.send("NDEATH", "E1", ndeath(4))  # the old session's will
        pump(w, lambda: w.stored == 3)
        settle(w)
        assert [e["severity"] for e in events(group)] == ["clear", "clear"]
        assert EdgeNode.objects.get(group=group, edge_node="E1").online is True
        plant.send("NDEATH", "E1", ndeath(5))
        pump(w, lambda: len(events(group)) == 3)
    assert events(group)[-1]["severity"] == "critical"


def test_historical_metrics_are_flagged(group: str) -> None:
    with worker(unique("t-"), sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        plant = Plant(pub, group)
        plant.send("NBIRTH", "E1", nbirth(0, MetricValue("Alarms/Door", False, alias=1)))
        plant.send("NDATA", "E1", encode_payload([
            MetricValue(None, True, alias=1, timestamp=T0 - 60_000, is_historical=True),
        ], seq=1))  # fmt: skip
        pump(w, lambda: len(events(group)) == 3)
    historical = events(group)[-1]
    assert (historical["severity"], historical["attributes"]["historical"]) == ("major", True)


def test_aliases_survive_an_ingest_restart(group: str) -> None:
    client_id = unique("t-")
    with worker(client_id, sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        Plant(pub, group).send("NBIRTH", "E1", nbirth(0, MetricValue("Press/OilFault", False, alias=7)))
        pump(w, lambda: len(events(group)) == 2)
    with worker(client_id, sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        Plant(pub, group).send("NDATA", "E1", encode_payload([MetricValue(None, True, alias=7)], seq=1))
        pump(w, lambda: len(events(group)) == 3)
    assert brief(events(group)[-1]) == ("E1", "alarm", "Press/OilFault", "major")


def test_bad_messages_are_dead_letters_and_the_worker_goes_on(group: str) -> None:
    with worker(unique("t-"), sparkplug=f"spBv1.0/{group}/#") as w, publisher() as pub:
        plant = Plant(pub, group)
        plant.send("NDATA", "E9", b"\x0a\xff\xff\xff not protobuf")
        plant.send("NDATA", "E9", encode_payload([MetricValue(None, True, alias=3)], seq=0))  # no BIRTH seen
        pub.send(f"spBv1.0/{group}/NFOO/E9", encode_payload([]))
        pub.send(f"spBv1.0/{group}/NCMD/E9", encode_payload([MetricValue("Node Control/Rebirth", True)]))  # not ours
        pub.send(f"spBv1.0/{group}/NDATA/E9/extra/level", encode_payload([]))
        plant.send("NBIRTH", "E9", nbirth(0, MetricValue("Motor/Alarm", False, alias=3)))
        pump(w, lambda: len(events(group)) == 2 and len(dead(group)) == 4)
        settle(w)
        letters = dead(group)
        reasons = [d.reason for d in letters]
        assert reasons[0].startswith("payload: not a Sparkplug B protobuf")
        assert reasons[1] == "payload: metrics[0]: unknown alias 3 (no BIRTH with it seen)."
        assert reasons[2] == "topic: unknown Sparkplug message type 'NFOO'."
        assert reasons[3].startswith("topic: NDATA needs 4 levels")
        assert InboxEvent.objects.filter(source=f"sparkplug:{group}").count() == 6  # the command is not kept
        # Once the BIRTH is known, the dead letter normalises (the replay path).
        replayed = normalise("sparkplug", letters[1].payload)
        assert brief(replayed) == ("E9", "alarm", "Motor/Alarm", "major")
        with pytest.raises(ValueError, match="not a Sparkplug B protobuf"):
            normalise("sparkplug", letters[0].payload)
        assert normalise("sparkplug", InboxEvent.objects.filter(source=f"sparkplug:{group}", status="accepted")
                         .order_by("id")[1].payload)["metric"] == "Motor/Alarm"  # fmt: skip
