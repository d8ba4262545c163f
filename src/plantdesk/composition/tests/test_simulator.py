"""`plantdesk simulate`: the script is reproducible and tells its four stories; played into the inbox and
the processor it opens, joins and resolves the incidents the stories are about; its Sparkplug form reads
back through the ingest's own translator; the player keeps time, cuts cleanly and never repeats an event id."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from plantdesk.accounts.actions import do_create_user
from plantdesk.accounts.models import User
from plantdesk.cmdb.demo import load_demo_cmdb
from plantdesk.composition.demo import load_demo
from plantdesk.composition.simulator.runner import Player, Settings
from plantdesk.composition.simulator.scenario import (
    EDGE_OFFLINE,
    FLAPPING,
    LINE_STOP,
    NOISE,
    PRINTER,
    TONER_LOW,
    Step,
    Tag,
    build,
)
from plantdesk.composition.simulator.sparkplug import EdgeNode
from plantdesk.events.ingest import accept, accept_received, dedup_key_of, problem_with
from plantdesk.events.models import Alert
from plantdesk.events.processor import process_pending
from plantdesk.incidents.models import Incident
from plantdesk.sparkplug.config import AlarmConfig
from plantdesk.sparkplug.translate import Translator
from plantdesk.testing.fixtures import Plant


def story(steps: list[Step], name: str) -> list[Step]:
    return [s for s in steps if s.story == name]


def test_the_same_seed_gives_the_same_script_and_another_seed_other_noise() -> None:
    assert build(seed=42) == build(seed=42)
    assert build(seed=42) != build(seed=43)
    assert story(build(seed=42), LINE_STOP)[0] == story(build(seed=43), LINE_STOP)[0]  # the stories stay put


def test_the_script_tells_three_stories_amid_noise_within_its_duration() -> None:
    steps = build(seed=7, duration=180)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert steps[0].at >= 0 and steps[-1].at <= 180
    assert all(not problem_with({**s.event(), "event_id": "x"}) for s in steps)  # the inbox takes every one

    line = story(steps, LINE_STOP)
    assert (line[0].node, line[0].metric, line[0].severity) == ("BER-L3-PLC01", "plc_fault", "critical")
    assert {s.node for s in line} == {"BER-L3-PLC01", "BER-L3-HMI01", "BER-L3"}
    assert {s.resource for s in line} >= {"Filler", "Labeler"}
    assert cleared_in_the_end(line)

    flaps = story(steps, FLAPPING)
    assert {s.node for s in flaps} == {"BER-L2-PLC01"} and len({s.key for s in flaps}) == 1
    assert [s.clears for s in flaps] == [False, True] * 4  # 8 state changes; the processor flags 5 in 10 min
    assert flaps[-1].at - flaps[0].at < 600

    edge = story(steps, EDGE_OFFLINE)
    assert (edge[0].node, edge[0].type, edge[0].severity) == ("BER-Plant/EdgeNode1", "liveness", "critical")
    comm_loss = [s for s in edge if s.metric == "comm_loss" and not s.clears]
    assert {s.node for s in comm_loss} == {f"BER-L{n}-PLC01" for n in (1, 2, 3, 4)}
    assert all(edge[0].at < s.at for s in comm_loss) and cleared_in_the_end(edge)

    noise = story(steps, NOISE)
    assert {"info", "warning"} <= {s.severity for s in noise}
    repeats = [s for s in noise if s.key in {t.key for t in line + flaps + edge}]
    assert repeats, "repeats of raised story alarms"
    assert len(noise) > len(line + flaps + edge)


def cleared_in_the_end(steps: list[Step]) -> bool:
    last: dict[tuple[str, ...], Step] = {}
    for step in steps:
        last[step.key] = step
    return all(s.clears for s in last.values())


def test_stories_keep_apart_at_any_duration() -> None:
    """A line-stop alarm during the gateway outage would become its secondary: the stories must not overlap."""
    for duration in (30, 180, 900):
        steps = build(seed=1, duration=duration)
        line_end = max(s.at for s in story(steps, LINE_STOP))
        assert line_end < min(s.at for s in story(steps, EDGE_OFFLINE)), duration
        assert max(s.at for s in steps) <= duration


@pytest.mark.django_db
def test_played_into_the_processor_the_stories_open_join_and_resolve_incidents(plant: Plant) -> None:
    load_demo_cmdb(plant.admin)
    sender = do_create_user("sim-test", role="requester", actor=plant.admin, is_integration=True)
    numbers = itertools.count()
    for step in build(seed=3, duration=180):
        accept([{**step.event(), "event_id": f"t-{next(numbers)}"}], channel="rest", actor=sender)
        process_pending()  # after each step, as the worker does while the simulator plays in real time

    fault = alert(LINE_STOP, "BER-L3-PLC01", "plc_fault")
    assert fault.ci is not None and fault.ci.name == "BER-L3-PLC01" and fault.state == "closed"
    assert fault.incident is not None and fault.incident.state == "resolved" and fault.opened_incident
    hmi = alert(LINE_STOP, "BER-L3-HMI01", "comm_loss")
    assert hmi.parent_id == fault.pk and hmi.incident_id == fault.incident_id  # the HMI depends on the PLC
    assert alert(LINE_STOP, "BER-L3", "line_stopped").parent_id == fault.pk

    gateway = alert(EDGE_OFFLINE, "BER-Plant/EdgeNode1", "offline")
    assert gateway.ci is not None and gateway.ci.name == "BER-OTGW01"  # bound through its Sparkplug alias
    assert gateway.incident is not None and gateway.incident.state == "resolved"
    for n in (1, 2, 3, 4):
        plc = alert(EDGE_OFFLINE, f"BER-L{n}-PLC01", "comm_loss")
        assert (plc.parent_id, plc.suppressed, plc.state) == (gateway.pk, "secondary", "closed")

    switch = alert(FLAPPING, "BER-L2-PLC01", "level_high")
    assert switch.flapping and switch.reopen_count == 3 and switch.state == "closed"
    # Its first clear resolved the incident, the next raise reopened it; once flapping, clears leave it to a person.
    assert switch.incident is not None and switch.incident.state in ("new", "in_progress")

    warnings = Alert.objects.filter(severity__in=["warning", "info"])
    assert warnings.exists() and not warnings.filter(incident__isnull=False).exists()
    assert Alert.objects.filter(count__gt=1).exists()  # repeats counted on their alerts
    assert not Incident.objects.filter(short_description__startswith="Alarm flood").exists()


@pytest.mark.django_db
def test_the_toner_low_story_orders_consumables_on_the_demo_plant() -> None:
    load_demo()
    sender = do_create_user("sim-toner", role="requester", actor=User.objects.get(username="admin"),
                            is_integration=True)  # fmt: skip
    toner = story(build(seed=3), TONER_LOW)
    assert [(s.node, s.severity) for s in toner] == [(PRINTER, "warning"), (PRINTER, "clear")]
    for i, step in enumerate(toner):
        accept([{**step.event(), "event_id": f"toner-{i}"}], channel="rest", actor=sender)
        process_pending()
    low = alert(TONER_LOW, PRINTER, "toner_low")
    assert low.incident is None and low.request_item is not None and low.state == "closed"
    item = low.request_item
    assert item.catalog_item.name == "label-printer-consumables" and item.state == "in_fulfilment"
    assert item.answers["printer"] == PRINTER and item.request.source == "event"


def alert(name: str, node: str, metric: str) -> Alert:
    step = next(s for s in build(seed=3) if s.story == name and s.node == node and s.metric == metric)
    return Alert.objects.select_related("ci", "incident").filter(dedup_key=dedup_key_of(step.event())).latest("id")


@pytest.mark.django_db
def test_the_sparkplug_edge_node_reads_back_through_the_ingest_translator() -> None:
    steps = build(seed=5)
    node = EdgeNode.for_steps(steps, "SIM-Plant", "EdgeNode1", bd_seq=255, devices=["L1PLC01", "L4PLC01"])
    config = AlarmConfig.from_env()
    assert all(config.severity_of(metric) for device, metric in node.aliases if metric != "Node Control/Rebirth")
    translator = Translator(config)

    def read(messages: list[Any]) -> list[dict[str, Any]]:
        return [item.event for m in messages for item in translator.translate(m.topic, m.payload)]

    births = read(node.births(1_700_000_000_000))
    assert {e["node"] for e in births if e["type"] == "liveness"} == {
        "SIM-Plant/EdgeNode1",
        *(f"SIM-Plant/EdgeNode1/{d}" for d in node.devices),
    }
    fault = next(s for s in steps if s.tag == Tag("L3PLC01", "Alarms/PlcFault"))
    message = node.messages(fault, 1_700_000_001_000)[0]
    assert message.kind == "DDATA" and b"Alarms/PlcFault" not in message.payload  # by alias only
    [event] = read([message])
    assert (event["node"], event["metric"], event["severity"]) == (
        "SIM-Plant/EdgeNode1/L3PLC01",
        "Alarms/PlcFault",
        "critical",
    )
    assert read(node.messages(fault.cleared(1, "ok"), 1_700_000_002_000))[0]["severity"] == "clear"

    [death] = read([node.death()])
    assert (death["node"], death["metric"], death["severity"]) == ("SIM-Plant/EdgeNode1", "offline", "critical")
    node.went_offline()
    assert node.bd_seq == 0 and node.messages(fault, 0) == []  # a dead node sends nothing
    reborn = read(node.births(1_700_000_003_000))
    assert any(e["node"] == "SIM-Plant/EdgeNode1" and e["severity"] == "clear" for e in reborn)
    assert read([node.death()]) and translator.translate(node.topic("NDEATH"), node.death().payload)


class Recorder:
    """A transport that keeps what it is given."""

    name = "recorder"

    def __init__(self, carries: bool = True, interrupt_after: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.opened = self.closed = False
        self._carries = carries
        self._interrupt_after = interrupt_after

    def open(self) -> None:
        self.opened = True

    def carries(self, step: Step) -> bool:
        return self._carries or step.tag is not None

    def send(self, step: Step, event: dict[str, Any]) -> str:
        if self._interrupt_after and len(self.events) == self._interrupt_after:
            raise KeyboardInterrupt
        self.events.append(event)
        return ""

    def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def play(transport: Recorder, **settings: Any) -> tuple[list[str], Any, FakeClock]:
    clock, lines = FakeClock(), []
    player = Player(transport, Settings(**{"seed": 9, **settings}), lines.append, sleep=clock.sleep, clock=clock)
    return lines, player.play(), clock


def test_one_pass_sends_every_step_once_with_its_own_event_id() -> None:
    transport = Recorder()
    lines, summary, clock = play(transport, once=True, speed=10, duration=1)
    assert transport.opened and transport.closed and summary.passes == 1 and not summary.interrupted
    assert len(transport.events) == len(build(seed=9)) == summary.sent == len(lines)
    assert len({e["event_id"] for e in transport.events}) == len(transport.events)
    assert 17 <= clock.now <= 18.1  # 180 s of plant time at speed 10
    assert any(" line-stop: BER-L3-PLC01 plc_fault critical" in line for line in lines)
    assert summary.left_raised == 0 and "done:" in summary.lines()[0]


def test_the_run_ends_on_time_and_clears_what_it_raised() -> None:
    transport = Recorder()
    _, summary, clock = play(transport, duration=30)
    assert clock.now <= 30 and summary.left_raised == 0
    last = {}
    for event in transport.events:
        last[(event["source"], event["node"], event["resource"], event["metric"])] = event["severity"]
    raised = Counter(sev for sev in last.values() if sev not in ("clear", "info", "warning"))
    assert not raised, raised  # the line stop started within 30 s and was cleared at the cut


def test_repeated_passes_and_ctrl_c() -> None:
    _, summary, _ = play(Recorder(), duration=400, speed=2)
    assert summary.passes == 5  # 90 s a pass at speed 2
    transport = Recorder(interrupt_after=10)
    _, summary, _ = play(transport, once=True)
    assert summary.interrupted and transport.closed and len(transport.events) == 10
    assert summary.lines()[0].startswith("interrupted: 10 events")


def test_sparkplug_alarms_and_deaths_land_on_the_demo_gateway_and_plc(plant: Plant) -> None:
    load_demo_cmdb(plant.admin)
    steps = build(seed=5)
    node = EdgeNode.for_steps(steps, "BER-Plant", "EdgeNode1", bd_seq=7, devices=["L3PLC01"])
    translator = Translator(AlarmConfig.from_env())
    fault = next(s for s in steps if s.tag == Tag("L3PLC01", "Alarms/PlcFault"))
    messages = [*node.births(1_700_000_000_000), *node.messages(fault, 1_700_000_001_000), node.death()]
    items = [item for m in messages for item in translator.translate(m.topic, m.payload)]
    accept_received(items, channel="sparkplug", actor=plant.admin)
    process_pending()
    bound = {a.metric: a.ci.name if a.ci else None for a in Alert.objects.filter(state="open").select_related("ci")}
    assert bound == {"Alarms/PlcFault": "BER-L3-PLC01", "offline": "BER-OTGW01"}
