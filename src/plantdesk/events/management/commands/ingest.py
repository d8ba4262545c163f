"""`plantdesk ingest mqtt [--host H] [--port P] [--client-id ID] [--connections N] ...`: the MQTT ingest
worker (native JSON on plantdesk/events/#, Sparkplug B on spBv1.0/#). Runs until SIGTERM / SIGINT, then
stores and acknowledges what it has received and disconnects."""

from __future__ import annotations

import signal
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plantdesk.accounts.models import User
from plantdesk.events.mqtt.connection import Broker
from plantdesk.events.mqtt.identity import ingest_client_id
from plantdesk.events.mqtt.worker import Options, Worker


class Command(BaseCommand):
    help = "Receive events from MQTT (native JSON and Sparkplug B) into the inbox."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="transport", required=True)
        mqtt = sub.add_parser("mqtt", help="subscribe to plantdesk/events/# and spBv1.0/# (QoS 1, persistent)")
        mqtt.add_argument("--url", help="broker, mqtt://HOST:PORT (default: PLANTDESK_MQTT_URL)")
        mqtt.add_argument("--topic", action="append", default=[],
                          help="a topic filter; spBv1.0/... ones are Sparkplug B (one of each kind)")  # fmt: skip
        mqtt.add_argument("--host", help="broker host (default: from PLANTDESK_MQTT_URL)")
        mqtt.add_argument("--port", type=int, help="broker port (default: from PLANTDESK_MQTT_URL)")
        mqtt.add_argument("--client-id", default=None,
                          help="session name, kept across restarts (default: $PLANTDESK_MQTT_CLIENT_ID, else "
                          "plantdesk-<hash of this installation's database>)")  # fmt: skip
        mqtt.add_argument("--connections", type=int, default=Options.connections,
                          help="connections sharing the native events ($share/<group>/...)")  # fmt: skip
        mqtt.add_argument("--share-group", default=Options.share_group)
        mqtt.add_argument("--batch-size", type=int, default=Options.batch_size)
        mqtt.add_argument("--max-wait-ms", type=float, default=Options.max_wait * 1000,
                          help="flush a batch this long after its first message")  # fmt: skip
        mqtt.add_argument("--receive-maximum", type=int, default=Options.receive_maximum,
                          help="unacknowledged messages the broker may send each connection")  # fmt: skip
        mqtt.add_argument("--session-expiry", type=int, default=Options.session_expiry,
                          help="seconds the broker keeps the session while the ingest is down")  # fmt: skip
        mqtt.add_argument("--events-topic", default=Options.events_topic, help="topic filter of native events")
        mqtt.add_argument("--sparkplug-topic", default=Options.sparkplug_topic,
                          help="topic filter of Sparkplug B ('' for none)")  # fmt: skip
        mqtt.add_argument("--account", default="", help="integration account named as the receiver")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["connections"] < 1 or options["batch_size"] < 1 or not 1 <= options["receive_maximum"] <= 65535:
            raise CommandError("--connections and --batch-size are at least 1; --receive-maximum is 1..65535.")
        if options["account"] and not User.objects.filter(username=options["account"]).exists():
            raise CommandError(f"--account: no user {options['account']!r}.")
        try:
            broker = Broker.from_url(options["url"] or settings.MQTT_URL, options["host"], options["port"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["topic"]:
            sparkplug = [t for t in options["topic"] if t.startswith("spBv1.0")]
            native = [t for t in options["topic"] if not t.startswith("spBv1.0")]
            if len(sparkplug) > 1 or len(native) > 1:
                raise CommandError("--topic: at most one native and one Sparkplug B (spBv1.0/...) filter.")
            options["events_topic"] = native[0] if native else ""
            options["sparkplug_topic"] = sparkplug[0] if sparkplug else ""
        worker = Worker(broker, Options(
            client_id=ingest_client_id(options["client_id"]), connections=options["connections"],
            share_group=options["share_group"],
            batch_size=options["batch_size"], max_wait=options["max_wait_ms"] / 1000,
            receive_maximum=options["receive_maximum"], session_expiry=options["session_expiry"],
            account=options["account"], events_topic=options["events_topic"],
            sparkplug_topic=options["sparkplug_topic"],
        ))  # fmt: skip

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker.run()
