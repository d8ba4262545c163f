"""Consumers for tests and benchmarks of the outbox, declared with PLANTDESK_EVENT_CONSUMERS (never
registered by an app): `recorder` and `recorder_isolated` append one line per delivery to the file named by
PLANTDESK_TEST_RECORDER_FILE ("<pid> <consumer> <event id> <stream>", flushed to disk before the consumer
returns, so a line exists even when the delivery's commit never came); `noop` (batched) and `noop_isolated`
(an event per transaction) do nothing: the dispatcher's own cost (bench/outbox.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from plantdesk.core.domain_events import Consumer, Event


def _writer(consumer: str) -> Callable[[Event], None]:
    def record(event: Event) -> None:
        delay = float(os.environ.get("PLANTDESK_TEST_RECORDER_DELAY", "0"))
        if delay:
            time.sleep(delay)
        line = f"{os.getpid()} {consumer} {event.id} {event.record_type}:{event.record_id}\n"
        with open(os.environ["PLANTDESK_TEST_RECORDER_FILE"], "a", encoding="utf-8") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())

    return record


def _nothing(event: Event) -> None:
    return None


ALL = frozenset({"*"})
recorder = Consumer(name="testing.recorder", events=ALL, handle=_writer("testing.recorder"), isolated=False)
recorder_isolated = Consumer(name="testing.recorder_isolated", events=ALL, handle=_writer("testing.recorder_isolated"))
noop = Consumer(name="testing.noop", events=ALL, handle=_nothing, isolated=False)
noop_isolated = Consumer(name="testing.noop_isolated", events=ALL, handle=_nothing)
