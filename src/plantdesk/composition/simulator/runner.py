"""Playing the script in time: pass after pass until the run's time is up (or one pass with `once`), a line
per step, every event a new occurrence, and at the end the clears of whatever the cut left raised."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from plantdesk.composition.simulator.scenario import Step, build
from plantdesk.composition.simulator.transports import Transport


@dataclass
class Summary:
    passes: int = 0
    by_story: Counter[str] = field(default_factory=Counter)
    raised: int = 0
    cleared: int = 0
    left_raised: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return self.raised + self.cleared

    def lines(self) -> list[str]:
        stories = ", ".join(f"{story} {n}" for story, n in sorted(self.by_story.items()))
        ending = "interrupted" if self.interrupted else "done"
        lines = [
            f"{ending}: {self.sent} events ({self.raised} raised, {self.cleared} cleared) in {self.passes} "
            f"pass(es), {self.seconds:.0f} s: {stories or 'none'}"
        ]
        if self.left_raised:
            lines.append(f"{self.left_raised} alarm(s) left raised; the next run clears them when it plays them")
        return lines


@dataclass(frozen=True)
class Settings:
    seed: int
    speed: float = 1.0
    duration: float = 180.0  # seconds the run may take (the wall clock); a pass is `pass_length` of plant time
    once: bool = False
    pass_length: float = 180.0


class Player:
    def __init__(
        self,
        transport: Transport,
        settings: Settings,
        out: Callable[[str], None],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.settings = settings
        self.out = out
        self.sleep = sleep
        self.clock = clock
        # Every event is a new occurrence: the inbox takes a repeated payload for a redelivery and keeps it once.
        self.run_id = uuid.uuid4().hex[:10]
        self.sequence = 0
        self.raised: dict[tuple[str, str, str, str, str], Step] = {}
        self.clearable: set[tuple[str, str, str, str, str]] = set()
        self.summary = Summary()

    def play(self) -> Summary:
        started = self.clock()
        deadline = None if self.settings.once else started + self.settings.duration
        self.transport.open()
        try:
            self._passes(deadline)
        except KeyboardInterrupt:
            self.summary.interrupted = True
        finally:
            self.summary.left_raised = len(self.raised)
            self.summary.seconds = self.clock() - started
            self.transport.close()
        return self.summary

    def _passes(self, deadline: float | None) -> None:
        number = 0
        while True:
            steps = build(seed=self.settings.seed + number, duration=self.settings.pass_length)
            steps = [s for s in steps if self.transport.carries(s)]
            self.clearable |= {s.key for s in steps if s.clears}  # one-off events are never "left raised"
            start = self.clock()
            for step in steps:
                due = start + step.at / self.settings.speed
                if deadline is not None and due > deadline:
                    self.summary.passes += 1
                    self._clear_all()
                    return
                self._wait_until(due)
                self._send(step)
            self.summary.passes += 1
            number += 1
            if deadline is None or self.clock() >= deadline:
                return

    def _clear_all(self) -> None:
        """The time is up in the middle of a pass: clear what the pass would have cleared later."""
        for step in list(self.raised.values()):
            self._send(step.cleared(step.at, "Cleared: the simulation ended"))

    def _wait_until(self, due: float) -> None:
        left = due - self.clock()
        if left > 0:
            self.sleep(left)

    def _send(self, step: Step) -> None:
        self.sequence += 1
        event = step.event()
        event["event_id"] = f"sim-{self.run_id}-{self.sequence}"
        event["occurred_at"] = datetime.now(UTC).isoformat()
        note = self.transport.send(step, event)
        if step.clears:
            self.raised.pop(step.key, None)
            self.summary.cleared += 1
        else:
            if step.key in self.clearable:
                self.raised.setdefault(step.key, step)
            self.summary.raised += 1
        self.summary.by_story[step.story] += 1
        clock = datetime.now().astimezone().strftime("%H:%M:%S")
        self.out(f"{clock} {step.story}: {step.node} {step.metric} {step.severity}" + (f" {note}" if note else ""))
