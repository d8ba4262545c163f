"""`plantdesk serve`: the production server (gunicorn, threaded workers) for UI, API and static files."""

from __future__ import annotations

import gc
import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from plantdesk.wsgi import application

GC_THRESHOLD = 20_000


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return application


class Command(BaseCommand):
    help = "Serve the UI, the API and static files (production server)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        port = os.environ.get("PORT", "8000")
        parser.add_argument("--bind", default=f"127.0.0.1:{port}", help="HOST:PORT (default 127.0.0.1:$PORT)")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("PLANTDESK_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("PLANTDESK_THREADS", "4")))

    def handle(self, *args: Any, **options: Any) -> None:
        # The application is loaded before the workers fork: move it out of the garbage collector's
        # reach, and collect less often (a request allocates thousands of short-lived ORM objects).
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD, 20, 20)
        _Server(
            {
                "bind": options["bind"],
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": os.environ.get("PLANTDESK_WORKER_CLASS", "gthread"),
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 60,
                "graceful_timeout": 10,
                "keepalive": 5,
            }
        ).run()
