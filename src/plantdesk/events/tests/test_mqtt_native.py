"""Native JSON events through the real broker into the inbox (the worker runs in the test's thread)."""

from __future__ import annotations

from typing import Any

import pytest

from plantdesk.events.channels import normalise
from plantdesk.events.models import InboxEvent
from plantdesk.events.tests.mqtt_helpers import publisher, pump, settle, unique, wait_for, worker

# Plain test transactions: the worker runs in this thread, its batch transactions nest as savepoints (a
# transactional test could not flush PostgreSQL: the audit table refuses TRUNCATE). The subprocess tests in
# tests/e2e/test_mqtt_ingest.py commit for real.
pytestmark = pytest.mark.django_db


def alarm(**fields: Any) -> dict[str, Any]:
    return {"node": "BER-L3-PLC01", "type": "alarm", "metric": "motor_overtemp", "severity": "critical", **fields}


def rows(source: str) -> list[InboxEvent]:
    return list(InboxEvent.objects.filter(source=source).order_by("id"))


def test_events_and_lists_are_stored_with_the_source_from_the_topic() -> None:
    source = unique("mes-")
    with worker(unique("t-"), events=f"plantdesk/events/{source}/#") as w, publisher() as pub:
        pub.send(f"plantdesk/events/{source}/line3", alarm(message="one"))
        pub.send(f"plantdesk/events/{source}/line3", [alarm(message="two"), alarm(message="three", severity="clear")])
        pump(w, lambda: len(rows(source)) == 3)
    stored = rows(source)
    assert {r.channel for r in stored} == {"mqtt"}
    assert {r.status for r in stored} == {InboxEvent.ACCEPTED}
    assert [normalise("mqtt", r.payload)["message"] for r in stored] == ["one", "two", "three"]
    assert normalise("mqtt", stored[0].payload)["source"] == source
    assert stored[0].dedup_key == stored[2].dedup_key  # derived from source, node, resource, type and metric


def test_a_source_in_the_event_wins_over_the_topic() -> None:
    topic_source, own = unique("topic-"), unique("own-")
    with worker(unique("t-"), events=f"plantdesk/events/{topic_source}/#") as w, publisher() as pub:
        pub.send(f"plantdesk/events/{topic_source}", alarm(source=own))
        pump(w, lambda: len(rows(own)) == 1)
    assert rows(topic_source) == []


def test_bad_messages_become_dead_letters_and_the_others_are_stored() -> None:
    source = unique("mes-")
    topic = f"plantdesk/events/{source}"
    with worker(unique("t-"), events=f"{topic}/#") as w, publisher() as pub:
        pub.many([
            (topic, b"{not json"), (topic, b"\xff\xfe\x00binary"), (topic, alarm(severity="disaster")),
            (topic, [alarm(message="fine"), 42]), (topic, alarm(message="after")),
        ])  # fmt: skip
        pump(w, lambda: len(rows(source)) == 6)
    stored = rows(source)
    dead = [r for r in stored if r.status == InboxEvent.DEAD]
    assert len(dead) == 4
    reasons = sorted(r.reason for r in dead)
    assert reasons[0].startswith("An event is a JSON object")
    assert sum(r.startswith("body: not valid JSON") for r in reasons) == 2
    assert any(r.startswith("severity: one of") for r in reasons)
    assert sorted(normalise("mqtt", r.payload)["message"] for r in stored if r.status == "accepted") == [
        "after",
        "fine",
    ]
    garbage = next(
        r for r in dead if "payload_b64" in r.payload and "/w==" not in r.payload and "bm90" not in r.payload
    )
    with pytest.raises(ValueError, match="not valid JSON"):
        normalise("mqtt", garbage.payload)  # replay names what is still wrong


def test_a_repeated_identical_message_is_one_event_a_changed_one_is_another() -> None:
    """The decision documented in docs/events.md: without an event_id the key is the hash of the event
    (source from the topic included), so a redelivery is recognised; a repeat with its own occurred_at counts."""
    source = unique("mes-")
    topic = f"plantdesk/events/{source}"
    with worker(unique("t-"), events=f"{topic}/#") as w, publisher() as pub:
        first = alarm(occurred_at="2026-11-24T10:00:00+01:00")
        pub.many([(topic, first), (topic, first), (topic, {**first, "occurred_at": "2026-11-24T10:05:00+01:00"})])
        pump(w, lambda: w.stored == 3)
        settle(w)
        pub.many([(topic, alarm(event_id="e-1")), (topic, alarm(event_id="e-1", message="same id"))])
        pump(w, lambda: w.stored == 5)
    assert len(rows(source)) == 3


def test_messages_published_while_the_ingest_is_away_arrive_when_it_is_back() -> None:
    client_id, source = unique("t-"), unique("mes-")
    topic = f"plantdesk/events/{source}"
    with worker(client_id, events=f"{topic}/#") as w, publisher() as pub:
        pub.send(topic, alarm(message="before"))
        pump(w, lambda: len(rows(source)) == 1)
    with publisher() as pub:
        pub.many([(topic, alarm(message=f"away {n}")) for n in range(50)])
    with worker(client_id, events=f"{topic}/#") as w:
        pump(w, lambda: len(rows(source)) == 51)
        settle(w)
    assert len(rows(source)) == 51


def test_unacknowledged_messages_come_again_and_are_not_stored_twice() -> None:
    """A worker that stops without storing (as after a crash between receiving and committing): the broker
    delivers the same messages to the next session, which stores each exactly once."""
    client_id, source = unique("t-"), unique("mes-")
    topic = f"plantdesk/events/{source}"
    with worker(client_id, events=f"{topic}/#") as w, publisher() as pub:
        pub.many([(topic, alarm(message=f"n{n}")) for n in range(20)])
        wait_for(lambda: w.queue.qsize() == 20)  # received, never stored nor acknowledged
        w.queue.queue.clear()
    with worker(client_id, events=f"{topic}/#") as w:
        pump(w, lambda: len(rows(source)) == 20)
        settle(w)
        first = w.stored
    with worker(client_id, events=f"{topic}/#") as w:
        settle(w, 1.0)
        assert w.stored == 0  # all were acknowledged after the commit
    assert first == 20
    assert len({r.sha256 for r in rows(source)}) == 20


def test_several_connections_share_the_events() -> None:
    source = unique("mes-")
    topic = f"plantdesk/events/{source}"
    with worker(unique("t-"), events=f"{topic}/#", connections=3) as w, publisher() as pub:
        assert all(c.topics == [f"$share/g-{w.options.client_id}/{topic}/#"] for c in w.connections[1:])
        pub.many([(topic, alarm(message=f"n{n}")) for n in range(300)])
        pump(w, lambda: len(rows(source)) == 300)
        settle(w)
        assert w.stored == 300
    assert len({r.sha256 for r in rows(source)}) == 300
