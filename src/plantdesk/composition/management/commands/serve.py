"""`plantdesk serve`: the production server (Granian, WSGI) for UI, API and static files (WhiteNoise)."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from granian import Granian
from granian.constants import Interfaces


def _host_port(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--bind takes HOST:PORT, got {bind!r}")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Serve the UI, the API and static files (production server)."
    requires_system_checks = []  # the workers load and check the application themselves

    def add_arguments(self, parser: ArgumentParser) -> None:
        port = os.environ.get("PORT", "8000")
        parser.add_argument("--bind", default=f"127.0.0.1:{port}", help="HOST:PORT (default 127.0.0.1:$PORT)")
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("PLANTDESK_WORKERS", str(os.cpu_count() or 1))),
            help="worker processes (default: one per core)",
        )  # fmt: skip
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("PLANTDESK_THREADS", "1")),
            help="request threads per worker (default 1, the fastest on a small box; raise it when slow "
            "pages such as exports must not hold up a worker)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = _host_port(options["bind"])
        Granian(
            "plantdesk.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=options["workers"],
            blocking_threads=options["threads"],
            respawn_failed_workers=True,
            log_access=False,
        ).serve()
