"""Background jobs of the kernel."""

from __future__ import annotations

from datetime import timedelta

from plantdesk.core.dispatch import purge
from plantdesk.core.scheduler import register_periodic
from plantdesk.core.tasks import task


@task()
def purge_delivered_events() -> int:
    """Delivered domain events older than OUTBOX_RETENTION_DAYS (those still pending or failed stay)."""
    return purge()


register_periodic("core.outbox_purge", timedelta(hours=6), purge_delivered_events.enqueue)
