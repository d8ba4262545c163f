"""`plantdesk demo`: load the demo plant (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plantdesk.composition.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo plant: two sites, groups, a user per role and about 50 incidents (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        if created:
            self.stdout.write(f"demo plant loaded: {created} incidents")
        else:
            self.stdout.write("demo plant already present")
        self.stdout.write(f"demo logins (password for all: {DEMO_PASSWORD}):")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.username:<10} {user.role:<15} {user.first} {user.last}, {user.note}")
