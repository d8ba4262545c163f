"""Times as a page shows them: in the page's zone (the active one), always named, never raw ISO text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from django.utils import timezone

from plantdesk.ui import dates

# An ISO 8601 timestamp as the audit trail and system notes store it (seconds and fraction optional).
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def zone_abbreviation(value: datetime) -> str:
    """'CET', 'SGT'; the IANA name where the zone has no letters of its own ('+08' is not a name)."""
    abbreviation = value.strftime("%Z")
    if abbreviation.isalpha():
        return abbreviation
    return str(value.tzinfo) if value.tzinfo else str(timezone.get_current_timezone_name())


def local_datetime(value: datetime) -> str:
    """'24.12.2026 06:00 CET' (German) or '2026-11-25 14:03 CET': the reader's date style (ui.dates), the
    active zone, always named."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{dates.format_wall_clock(local)} {zone_abbreviation(local)}"


def local_date(value: date) -> str:
    return dates.format_date(value)


def parse_iso(text: str) -> datetime | None:
    """An aware datetime from an ISO text (naive text is taken as UTC, as everything is stored), else None."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def readable_times(text: str) -> str:
    """Every ISO timestamp inside a text, written as a person reads it in the page's zone."""
    if ISO_DATE.fullmatch(text):
        try:
            return local_date(date.fromisoformat(text))
        except ValueError:
            return text

    def replace(match: re.Match[str]) -> str:
        value = parse_iso(match.group(0))
        return local_datetime(value) if value else match.group(0)

    return ISO_DATETIME.sub(replace, text)
