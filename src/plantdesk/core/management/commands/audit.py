"""`plantdesk audit verify`: prove the audit hash chain, or name the first bad entry."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plantdesk.core.audit import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="check the audit hash chain")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if not result.ok:
            raise CommandError(
                f"audit chain BROKEN at entry #{result.first_bad_seq}: {result.problem} "
                f"({result.checked} entries before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} entries verified")
