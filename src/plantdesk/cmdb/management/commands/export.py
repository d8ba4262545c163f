"""`plantdesk export cis [--format json|csv] [--output FILE]`: the CMDB in the import format."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from plantdesk.cmdb.exporter import export_csv, export_json


class Command(BaseCommand):
    help = "Export configuration items and relationships (re-importable with `plantdesk import cis`)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        cis = sub.add_parser("cis", help="configuration items and their relationships")
        cis.add_argument("--format", choices=["json", "csv"], default="json")
        cis.add_argument("--output", help="a file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        text = export_json() if options["format"] == "json" else export_csv()
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
