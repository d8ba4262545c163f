"""Background jobs of incident management."""

from __future__ import annotations

from datetime import timedelta

from plantdesk.accounts.actions import get_system_user
from plantdesk.core.scheduler import register_periodic
from plantdesk.core.tasks import task
from plantdesk.incidents.actions import do_auto_close_resolved


@task()
def auto_close_resolved_incidents() -> int:
    """Close incidents resolved more than INCIDENT_AUTO_CLOSE_DAYS ago, as the system account."""
    return do_auto_close_resolved(actor=get_system_user())


register_periodic("incidents.auto_close", timedelta(hours=1), auto_close_resolved_incidents.enqueue)
