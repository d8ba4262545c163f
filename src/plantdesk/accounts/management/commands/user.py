"""`plantdesk user add USERNAME --role ROLE [--email E] [--site S]... [--group G]... [--manager NAME]`"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plantdesk.accounts.actions import do_create_user, generate_password, get_system_user
from plantdesk.accounts.choices import Role
from plantdesk.core.errors import DomainError


class Command(BaseCommand):
    help = "Manage users. The password is read from standard input, or generated and printed."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--email", default="")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument("--site", action="append", default=[], dest="sites")
        add.add_argument("--group", action="append", default=[], dest="groups")
        add.add_argument("--manager", default=None, help="who approves what this user orders from the catalog")
        add.add_argument(
            "--integration", action="store_true", help="an integration account (MES, SCADA) sending events"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = _password_from_stdin()
        generated = password is None
        if generated:
            password = generate_password()
        try:
            user = do_create_user(
                options["username"],
                role=options["role"],
                actor=get_system_user(),
                password=password,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                sites=options["sites"],
                groups=options["groups"],
                is_integration=options["integration"],
                manager=options["manager"],
            )
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"created user {user.username} ({user.role})")
        if generated:
            self.stdout.write(f"password: {password}")


def _password_from_stdin() -> str | None:
    if sys.stdin is None or sys.stdin.closed or sys.stdin.isatty():
        return None
    try:
        line = sys.stdin.readline().rstrip("\r\n")
    except OSError:  # no readable standard input (a daemon, a captured test run)
        return None
    return line or None
