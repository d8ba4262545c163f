"""`plantdesk outbox status | retry [--consumer NAME] | dispatch | purge`: the domain-event outbox."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q

from plantdesk.core.dispatch import dispatch_all, purge, retry_failed
from plantdesk.core.domain_events import consumers
from plantdesk.core.models import EventDelivery


class Command(BaseCommand):
    help = "Domain-event outbox: what waits per consumer, requeue given-up deliveries, dispatch now, purge."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("status", help="pending and failed deliveries per consumer, the oldest pending")
        retry = sub.add_parser("retry", help="requeue the deliveries a consumer gave up on (after a fix)")
        retry.add_argument("--consumer", default="", help="only this consumer's")
        sub.add_parser("dispatch", help="deliver everything due now in this process (as a worker would)")
        sub.add_parser("purge", help="delete delivered events older than PLANTDESK_OUTBOX_RETENTION_DAYS")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "retry":
            self.stdout.write(f"requeued: {retry_failed(options['consumer'] or None)}")
        elif verb == "dispatch":
            self.stdout.write(f"delivered: {dispatch_all()}")
        elif verb == "purge":
            self.stdout.write(f"events purged: {purge()}")
        else:
            self._status()

    def _status(self) -> None:
        rows = (
            EventDelivery.objects.exclude(state=EventDelivery.DONE)
            .values("consumer")
            .annotate(
                pending=Count("id", filter=Q(state=EventDelivery.PENDING)),
                failed=Count("id", filter=Q(state=EventDelivery.FAILED)),
                oldest=Min("event__occurred_at", filter=Q(state=EventDelivery.PENDING)),
            )
            .order_by("consumer")
        )
        known = consumers()
        for row in rows:
            where = "" if row["consumer"] in known else "  (not registered in this process)"
            oldest = f", oldest pending {row['oldest']:%Y-%m-%d %H:%M:%S} UTC" if row["oldest"] else ""
            self.stdout.write(f"{row['consumer']}: {row['pending']} pending, {row['failed']} failed{oldest}{where}")
        if not rows:
            self.stdout.write(f"nothing waiting ({len(known)} consumers registered)")
