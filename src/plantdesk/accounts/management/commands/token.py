"""`plantdesk token create USERNAME`: prints a new API token alone on one line."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plantdesk.accounts.actions import do_create_token, get_system_user
from plantdesk.accounts.models import User


class Command(BaseCommand):
    help = "Manage API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="print a new API token for a user")
        create.add_argument("username")
        create.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {options['username']!r}.")
        self.stdout.write(do_create_token(user, actor=get_system_user(), name=options["name"]))
