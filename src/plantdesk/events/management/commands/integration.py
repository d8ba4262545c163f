"""`plantdesk integration add NAME [--kind ...] [--site S]`: an integration account and its key, printed alone
on one line (CONTRACT.md section 1): the bearer token for REST and Alertmanager, PagerDuty's routing_key, the
MQTT sender's credential. The kind only says what the key is for; every kind gets the same sort of key."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plantdesk.accounts.actions import get_system_user
from plantdesk.core.errors import DomainError
from plantdesk.events.integration_accounts import do_create_integration_account

KINDS = ("rest", "alertmanager", "pagerduty", "mqtt")


class Command(BaseCommand):
    help = "Manage integration accounts (the MES, monitoring and gateways that send events)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("add", help="create an integration account and print its key")
        add.add_argument("name")
        add.add_argument("--kind", choices=KINDS, default="rest", help="what the key is for (informational)")
        add.add_argument("--site", default="", help="the site code the sender belongs to")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            _, key = do_create_integration_account(options["name"], site=options["site"], actor=get_system_user())
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key)
