"""One time zone per page (ARCHITECTURE rule 8): a record's page shows every time in its site's zone.

Lists and pages without a site use the user's zone (core.middleware.ActiveTimeZoneMiddleware); a record
page switches to its site's zone for the rest of the request, so its header, journal, history, SLA
clocks and date inputs all agree, and the layout names the zone once.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.utils import timezone

from plantdesk.ui.times import zone_abbreviation


def use_zone_of(site: Any | None) -> None:
    """Show (and read) the times of this request in the site's zone; without a site, keep the user's."""
    zone_name = getattr(site, "time_zone", "") if site is not None else ""
    if zone_name:
        timezone.activate(zoneinfo.ZoneInfo(zone_name))


def page_zone() -> dict[str, str]:
    """The zone the page's times are in, for the layout to name: IANA name and today's abbreviation."""
    name = str(timezone.get_current_timezone_name())
    return {"name": name, "abbreviation": zone_abbreviation(timezone.localtime())}
