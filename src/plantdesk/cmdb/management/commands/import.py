"""`plantdesk import cis FILE [--format csv|json] [--dry-run]`: upsert CIs and relationships, all or nothing."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plantdesk.accounts.actions import get_system_user
from plantdesk.cmdb.importer import ImportRefused, do_import_cis, parse
from plantdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Import configuration items and relationships from a CSV or JSON file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        cis = sub.add_parser("cis", help="configuration items and their relationships")
        cis.add_argument("file")
        cis.add_argument("--format", choices=["csv", "json"], help="default: from the file's extension")
        cis.add_argument("--dry-run", action="store_true", help="validate and show what would change; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        fmt = options["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        try:
            rows = parse(path.read_text(encoding="utf-8-sig"), fmt)
            with tqdm(total=len(rows), unit="CI", disable=options["dry_run"] or not rows, file=self.stderr) as bar:
                report = do_import_cis(
                    rows, actor=get_system_user(), dry_run=options["dry_run"],
                    progress=lambda done: bar.update(done - bar.n),
                )  # fmt: skip
        except ImportRefused as refused:
            for where, name, message in refused.report.errors:
                self.stderr.write(f"{path}: {where}: {name}: {message}")
            raise CommandError(f"{len(refused.report.errors)} error(s); nothing was imported.") from refused
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        verb = "would be" if options["dry_run"] else "were"
        if options["dry_run"]:
            for name in report.created:
                self.stdout.write(f"  create {name}")
        for name, fields in sorted(report.updated.items()):
            self.stdout.write(f"  update {name}: {', '.join(fields)}")
        self.stdout.write(
            f"{len(report.created)} CIs {verb} created, {len(report.updated)} updated, {report.unchanged} unchanged, "
            f"{report.relationships_added} relationships added."
            + (" Dry run: nothing was written." if options["dry_run"] else "")
        )
