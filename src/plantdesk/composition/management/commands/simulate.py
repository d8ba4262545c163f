"""`plantdesk simulate [--mqtt | --sparkplug]`: send a realistic stream of plant alarms to a running
PlantDesk (a line stop on BER-L3, a flapping level switch on BER-L2, the BER edge node going offline, and
noise), so the alert console and the incident queue come alive on the demo plant."""

from __future__ import annotations

import os
import time
import uuid
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from plantdesk.accounts.actions import do_create_token, do_create_user, get_system_user
from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.composition.simulator.runner import Player, Settings
from plantdesk.composition.simulator.scenario import DEFAULT_DURATION, EDGE_NODE, GROUP, build
from plantdesk.composition.simulator.sparkplug import EdgeNode
from plantdesk.composition.simulator.target import check_reachable, plantdesk_url
from plantdesk.composition.simulator.transports import (
    MqttTransport,
    RestTransport,
    SimulatorError,
    SparkplugTransport,
    Transport,
)
from plantdesk.core.errors import DomainError
from plantdesk.events.mqtt.connection import Broker

ACCOUNT = "plantdesk-simulator"


class Command(BaseCommand):
    help = "Send a realistic stream of plant alarms (REST by default, or MQTT / Sparkplug B) to PlantDesk."

    def add_arguments(self, parser: ArgumentParser) -> None:
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--mqtt", action="store_true", help="native JSON events over MQTT (QoS 1)")
        how.add_argument("--sparkplug", action="store_true", help="Sparkplug B: the demo gateway as an edge node")
        parser.add_argument("--url", default=None,
                            help="PlantDesk for REST (default: $PLANTDESK_URL, else http://127.0.0.1:$PORT, "
                            "PORT 8000 unless set: the server `make run` started)")  # fmt: skip
        parser.add_argument("--token", default=os.environ.get("PLANTDESK_TOKEN", ""),
                            help=f"bearer token of an integration account (default: $PLANTDESK_TOKEN, else a new "
                            f"token for {ACCOUNT!r} in this installation's database)")  # fmt: skip
        parser.add_argument("--broker", default=settings.MQTT_URL,
                            help="MQTT broker URL (default: $PLANTDESK_MQTT_URL or mqtt://127.0.0.1:1883)")  # fmt: skip
        parser.add_argument(
            "--topic-prefix", default="plantdesk/events", help="native events go to PREFIX/<source>/<node>"
        )
        parser.add_argument("--group", default=GROUP, help="Sparkplug group id (default %(default)s)")
        parser.add_argument("--edge-node", default=EDGE_NODE, help="Sparkplug edge node id (default %(default)s)")
        parser.add_argument("--duration", type=float, default=DEFAULT_DURATION,
                            help="seconds the run takes at most (default %(default)s): passes of the script repeat "
                            "until then")  # fmt: skip
        parser.add_argument("--speed", type=float, default=1.0, help="play the script this many times faster")
        parser.add_argument("--once", action="store_true", help="one pass of the script, then stop")
        parser.add_argument("--seed", type=int, default=None, help="the same seed plays the same script")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["speed"] <= 0 or options["duration"] <= 0:
            raise CommandError("--speed and --duration are positive numbers.")
        seed = options["seed"] if options["seed"] is not None else int(time.time()) % 100_000
        try:
            over_mqtt = options["mqtt"] or options["sparkplug"]
            if not over_mqtt:
                options["url"] = plantdesk_url(options["url"], os.environ)
                self._line(f"PlantDesk at {options['url']}")
                check_reachable(options["url"])  # before a token is made for it or anything is sent
            transport = self._transport(options)
            where = options["broker"] if over_mqtt else options["url"]
            mode = "one pass" if options["once"] else f"up to {options['duration']:.0f} s"
            self.stdout.write(f"simulating the demo plant over {transport.name} to {where}: seed {seed}, "
                              f"speed {options['speed']:g}, {mode}")  # fmt: skip
            player = Player(transport, Settings(seed=seed, speed=options["speed"], duration=options["duration"],
                                                once=options["once"]), self._line)  # fmt: skip
            summary = player.play()
        except SimulatorError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)

    def _line(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _transport(self, options: dict[str, Any]) -> Transport:
        client_id = f"plantdesk-simulator-{uuid.uuid4().hex[:8]}"
        if options["mqtt"] or options["sparkplug"]:
            try:
                broker = Broker.from_url(options["broker"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if options["mqtt"]:
                return MqttTransport(broker, prefix=options["topic_prefix"], client_id=client_id)
            # A new bdSeq each run (the node's session counter), so an NDEATH left from an earlier run is stale.
            plcs = [f"L{n}PLC01" for n in (1, 2, 3, 4)]
            node = EdgeNode.for_steps(
                build(seed=0), options["group"], options["edge_node"], bd_seq=int(time.time()), devices=plcs
            )
            return SparkplugTransport(broker, node, client_id=client_id)
        return RestTransport(options["url"], options["token"] or _local_token())


def _local_token() -> str:
    """A new token for the simulator's integration account, created with the same actions as `plantdesk user
    add ... --integration` and `plantdesk token create` (so it works when the server shares this database)."""
    try:
        system = get_system_user()
        account = User.objects.filter(username=ACCOUNT).first()
        if account is None:
            account = do_create_user(ACCOUNT, role=Role.REQUESTER, actor=system, is_integration=True,
                                     first_name="PlantDesk", last_name="simulator")  # fmt: skip
        elif not (account.is_integration and account.is_active):
            raise CommandError(f"{ACCOUNT!r} exists but is not an active integration account; pass --token.")
        return do_create_token(account, actor=system, name="plantdesk simulate")
    except (DatabaseError, DomainError) as exc:
        raise CommandError(f"no --token and no usable local database to make one ({exc}); pass --token.") from exc
