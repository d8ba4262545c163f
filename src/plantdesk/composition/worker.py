"""The worker's job list (composition root): what one round of `plantdesk worker` does, in order.

Each step returns how much it did; a step that did a full batch may have more waiting right now, so the
round runs it again (the SLA step between other steps' batches, so that warnings and breaches stay on
time while an event storm is being processed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plantdesk.core.dispatch import dispatch
from plantdesk.events.processor import BATCH as EVENT_BATCH
from plantdesk.events.processor import process_pending
from plantdesk.requests.access import BATCH as GRANT_BATCH
from plantdesk.requests.access import expire_due_grants
from plantdesk.slas.jobs import BATCH as SLA_BATCH
from plantdesk.slas.jobs import fire_due_events


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[], int]
    full: int  # a result of at least this means: run again at once


def steps(worker: str) -> list[Step]:
    return [
        Step("sla clocks", lambda: fire_due_events(), SLA_BATCH),
        Step("event processing", lambda: process_pending(), EVENT_BATCH),
        Step("access expiry", lambda: expire_due_grants(), GRANT_BATCH),
        Step("domain events", lambda: dispatch(worker), 1),
    ]


def run_round(worker: str, *, stopping: Callable[[], bool], max_batches: int = 200) -> int:
    """Every step until it has nothing more to do now (at most `max_batches` each); returns the work done."""
    sla, *others = steps(worker)
    done = 0
    while (n := sla.run()) >= sla.full:
        done += n
    done += n
    for step in others:
        for _ in range(max_batches):
            n = step.run()
            done += n
            if n < step.full or stopping():
                break
            done += sla.run()
    return done
