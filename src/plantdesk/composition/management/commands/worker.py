"""`plantdesk worker`: the background work of `composition.worker` (SLA clocks, event processing, domain
event consumers), then due periodic jobs and queued background tasks, until stopped. Any number of workers
can run side by side."""

from __future__ import annotations

import logging
import signal
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from plantdesk.composition.worker import run_round
from plantdesk.core.dispatch import worker_id
from plantdesk.core.scheduler import enqueue_due_jobs

logger = logging.getLogger("plantdesk.worker")


class Command(BaseCommand):
    help = "Run background jobs: SLA clocks, event processing, domain-event consumers, periodic jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls when idle")
        parser.add_argument(
            "--sla-tick", type=float, default=0.25, help="seconds between SLA polls (warnings, breaches on time)"
        )
        parser.add_argument("--once", action="store_true", help="one round of due jobs and queued tasks, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        self._stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            self._stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker = worker_id()
        self.stdout.write(f"plantdesk worker running ({worker})")
        next_round = 0.0
        while not self._stopping:
            try:
                run_round(worker, stopping=lambda: self._stopping)
                if time.monotonic() >= next_round:
                    due = enqueue_due_jobs()
                    if due:
                        self.stdout.write(f"enqueued: {', '.join(due)}")
                    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
                    next_round = time.monotonic() + options["interval"]
            except Exception:  # a failing round (database restart, a bad row) must not end the worker
                logger.exception("worker round failed; retrying")
                close_old_connections()
                time.sleep(min(5.0, options["interval"]))
            if options["once"]:
                return
            time.sleep(options["sla_tick"])
