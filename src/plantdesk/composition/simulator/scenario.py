"""The simulator's script: four stories on the demo plant and background noise, as a list of timed steps.

Pure and seeded: the same seed and duration give the same steps, so a run can be replayed and the tests can
read the script without a clock. Times are seconds of plant time from the start of a pass; the stories sit
at fixed fractions of the duration so a shorter or longer pass keeps them apart (a PLC alarm during the
gateway outage would become the gateway's secondary, which is the outage story, not the line stop).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any

LINE_STOP, FLAPPING, EDGE_OFFLINE, TONER_LOW, NOISE = "line-stop", "flapping", "edge-offline", "toner-low", "noise"
STORIES = (LINE_STOP, FLAPPING, EDGE_OFFLINE, TONER_LOW)
PRINTER = "BER-L1-PRN01"  # packaging line 1's batch label printer
DEFAULT_DURATION = 180.0
# The gateway's Sparkplug identity in the demo CMDB (BER-OTGW01's attributes and alias).
GROUP, EDGE_NODE = "BER-Plant", "EdgeNode1"


@dataclass(frozen=True)
class Tag:
    """Where a step lives on the simulated Sparkplug edge node: a device (PLC, as `L3PLC01`) or the node
    itself (device ""), and its boolean alarm metric; without a metric the step is the device's or node's
    liveness (DEATH when raised, BIRTH when cleared)."""

    device: str = ""
    metric: str = ""


@dataclass(frozen=True)
class Step:
    at: float  # seconds of plant time from the start of the pass
    story: str
    source: str
    node: str
    resource: str
    type: str
    metric: str
    severity: str  # "clear" ends the alarm
    message: str
    tag: Tag | None = None  # None: the step has no Sparkplug form and is not sent with --sparkplug

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """The alarm's identity (what the inbox derives the dedup key from)."""
        return (self.source, self.node, self.resource, self.type, self.metric)

    @property
    def clears(self) -> bool:
        return self.severity == "clear"

    def event(self) -> dict[str, Any]:
        """The native event, without the per-send `event_id` and `occurred_at` the transports add."""
        return {"source": self.source, "node": self.node, "resource": self.resource, "type": self.type,
                "metric": self.metric, "severity": self.severity, "message": self.message,
                "attributes": {"simulated": True, "story": self.story}}  # fmt: skip

    def cleared(self, at: float, message: str) -> Step:
        return replace(self, at=at, severity="clear", message=message)


def build(*, seed: int, duration: float = DEFAULT_DURATION) -> list[Step]:
    """One pass: the four stories and the noise around them, in time order."""
    rng = random.Random(seed)
    scale = duration / DEFAULT_DURATION
    stories = [
        *line_stop(rng, start=0.06 * duration, scale=scale),
        *flapping(rng, start=0.20 * duration, scale=scale),
        *edge_offline(rng, start=0.55 * duration, scale=scale),
        *toner_low(start=0.02 * duration, end=0.97 * duration),
    ]
    gateway = [s.at for s in stories if s.tag == Tag()]  # the edge node's death and rebirth
    outage = (min(gateway) - 2 * scale, max(gateway) + 2 * scale)
    steps = stories + noise(rng, duration=duration, stories=stories, outage=outage)
    return sorted(steps, key=lambda s: s.at)  # stable: same-time steps keep their story order


def _alarm(at: float, story: str, node: str, resource: str, metric: str, severity: str, message: str,
           tag: Tag | None, *, source: str = "scada-ber", type: str = "alarm") -> Step:  # fmt: skip
    return Step(at, story, source, node, resource, type, metric, severity, message, tag)


def line_stop(rng: random.Random, *, start: float, scale: float) -> list[Step]:
    """BER-L3: the PLC faults, its HMI loses it, filler and labeler alarm, the line stops; all clear later."""
    t = start
    raised = [
        _alarm(t, LINE_STOP, "BER-L3-PLC01", "CPU", "plc_fault", "critical",
               "PLC CPU fault: BER-L3-PLC01 in STOP", Tag("L3PLC01", "Alarms/PlcFault")),
        _alarm(t + 2 * scale, LINE_STOP, "BER-L3-HMI01", "PROFINET", "comm_loss", "major",
               "HMI lost its connection to BER-L3-PLC01", Tag("L3PLC01", "Alarms/HmiCommLoss")),
        _alarm(t + 4 * scale, LINE_STOP, "BER-L3-PLC01", "Filler", "motor_overtemp", "critical",
               "Filler motor over temperature", Tag("L3PLC01", "Alarms/FillerMotorOvertemp")),
        _alarm(t + 6 * scale, LINE_STOP, "BER-L3-PLC01", "Labeler", "label_jam", "major",
               "Labeler jammed, labels not applied", Tag("L3PLC01", "Alarms/LabelerJam")),
        _alarm(t + 9 * scale, LINE_STOP, "BER-L3", "Line", "line_stopped", "critical",
               "Line 3 stopped: filler and labeler down", Tag("L3PLC01", "Alarms/LineStopped")),
    ]  # fmt: skip
    back = start + rng.uniform(50, 60) * scale
    clears = ["PLC back in RUN", "HMI connected again", "Filler motor temperature normal", "Labeler running",
              "Line 3 running again"]  # fmt: skip
    return raised + [
        step.cleared(back + 2 * i * scale, text) for i, (step, text) in enumerate(zip(raised, clears, strict=True))
    ]


def flapping(rng: random.Random, *, start: float, scale: float) -> list[Step]:
    """A level switch on BER-L2 chattering: four raises and four clears within a minute, enough state
    changes (five in ten minutes) for the processor to flag the alarm flapping."""
    switch = _alarm(0, FLAPPING, "BER-L2-PLC01", "Buffer tank T-201", "level_high", "minor",
                    "LSH-204 level high, buffer tank T-201", Tag("L2PLC01", "Alarms/LevelHigh"))  # fmt: skip
    steps: list[Step] = []
    t = start
    for _ in range(4):
        steps.append(replace(switch, at=t))
        t += rng.uniform(2, 4) * scale
        steps.append(switch.cleared(t, "LSH-204 level normal"))
        t += rng.uniform(3, 6) * scale
    return steps


def edge_offline(rng: random.Random, *, start: float, scale: float) -> list[Step]:
    """BER-OTGW01 goes offline (named by its Sparkplug id, an alias), then SCADA loses the PLCs behind it:
    their comm-loss alarms become the gateway alarm's secondaries. It comes back and everything clears."""
    gateway = _alarm(start, EDGE_OFFLINE, f"{GROUP}/{EDGE_NODE}", EDGE_NODE, "offline", "critical",
                     f"Edge node {GROUP}/{EDGE_NODE} offline: no MQTT session", Tag(), source="ot-monitor",
                     type="liveness")  # fmt: skip
    plcs = [
        _alarm(start + (2 + n + rng.uniform(0, 1)) * scale, EDGE_OFFLINE, f"BER-L{n}-PLC01", "Gateway link",
               "comm_loss", "major", f"No data from BER-L{n}-PLC01 through BER-OTGW01", None)
        for n in (1, 2, 3, 4)
    ]  # fmt: skip
    back = start + rng.uniform(40, 50) * scale
    return [
        gateway, *plcs, gateway.cleared(back, f"Edge node {GROUP}/{EDGE_NODE} online again"),
        *(p.cleared(back + (2 + i) * scale, "Data from the PLC again") for i, p in enumerate(plcs)),
    ]  # fmt: skip


def toner_low(*, start: float, end: float) -> list[Step]:
    """The line 1 label printer's monitor reports toner low: not a fault, so the demo's alert rule orders
    consumables (a service request) instead of opening an incident. Replaced by the end of the pass."""
    low = _alarm(start, TONER_LOW, PRINTER, "Toner", "toner_low", "warning",
                 f"Label printer {PRINTER}: toner below 10 %", None, source="printer-mon", type="status")  # fmt: skip
    return [low, low.cleared(end, f"Label printer {PRINTER}: toner replaced")]


@dataclass(frozen=True)
class _Noise:
    node: str
    resource: str
    metric: str
    severity: str
    message: str  # may use {n}: a number that changes from event to event
    source: str = "scada-ber"
    tag: Tag | None = None
    clears_after: float = 0  # seconds; 0: a one-off event that is not cleared


NOISE_EVENTS = (
    _Noise("BER-MES-APP01", "Batch", "batch_step", "info", "Batch B-{n} step completed on BER-L1", "mes-ber"),
    _Noise("SIN-L1-VIS01", "Camera 2", "reject_rate", "warning", "Carton reject rate 2.{n} % (limit 2.0 %)",
           "scada-sin"),
    _Noise("BER-HIST01", "PI buffer", "buffer_queue", "warning", "PI buffer queue at {n}0 events"),
    _Noise("SIN-EMS01", "Room 2.14", "humidity", "warning", "Relative humidity 5{n} % RH (alert limit 55 %)",
           "mes-sin"),
    _Noise("BER-L1-PLC01", "Compressed air", "low_air_pressure", "warning", "Compressed air at 5.{n} bar",
           tag=Tag("L1PLC01", "Alarms/LowAirPressure"), clears_after=15),
    _Noise("BER-OTGW01", "Cabinet", "cabinet_temp_high", "warning", "Gateway cabinet at 4{n} °C",
           tag=Tag("", "Alarms/CabinetTempHigh"), clears_after=20),
)  # fmt: skip


def noise(rng: random.Random, *, duration: float, stories: list[Step], outage: tuple[float, float]) -> list[Step]:
    """Informational and warning events, a short PLC restart on BER-L4, and repeats of the story alarms that
    are raised at the time (each repeat a new occurrence: counted on its alert, not taken for a redelivery).
    Nothing on the edge node during its outage: a dead node sends nothing."""
    scale = duration / DEFAULT_DURATION
    steps: list[Step] = []
    restart = _alarm(0.42 * duration, NOISE, "BER-L4-PLC01", "CPU", "plc_restart", "warning",
                     "BER-L4-PLC01 restarting (watchdog)", Tag("L4PLC01"))  # fmt: skip
    steps += [restart, restart.cleared(restart.at + 8 * scale, "BER-L4-PLC01 running")]
    for _ in range(int(duration / 4)):
        at = rng.uniform(0, 0.95 * duration)
        in_outage = outage[0] <= at <= outage[1]
        if rng.random() < 0.35:
            raised = [s for s in _raised_at(stories, at) if s.tag is None or (s.tag.metric and not in_outage)]
            if raised:
                original = rng.choice(raised)
                steps.append(replace(original, at=at, story=NOISE, message=original.message + " (repeat)"))
                continue
        choices = [
            e for e in NOISE_EVENTS
            if at + e.clears_after * scale < duration
            and (e.tag is None or not _overlaps(at, at + e.clears_after * scale, outage))
        ]  # fmt: skip
        event = rng.choice(choices)
        text = event.message.format(n=rng.randint(1, 9))
        step = _alarm(at, NOISE, event.node, event.resource, event.metric, event.severity, text, event.tag,
                      source=event.source)  # fmt: skip
        steps.append(step)
        if event.clears_after:
            steps.append(step.cleared(at + event.clears_after * scale, f"{event.resource}: back to normal"))
    return steps


def _overlaps(start: float, end: float, span: tuple[float, float]) -> bool:
    return start <= span[1] and end >= span[0]


def _raised_at(stories: list[Step], at: float) -> list[Step]:
    """The story alarms raised at `at`: triggered before it and not cleared since."""
    raised: dict[tuple[str, str, str, str, str], Step] = {}
    for step in sorted(stories, key=lambda s: s.at):
        if step.at > at:
            break
        if step.clears:
            raised.pop(step.key, None)
        else:
            raised[step.key] = step
    return list(raised.values())
