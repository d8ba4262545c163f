"""Reading what people and integrations send for a window: times with their offset, zones, RRULEs, and CI,
class and site names resolved in bulk. Each problem becomes a FieldError naming its field, so the API and the
pages refuse the same things with the same words."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from plantdesk.accounts.models import Site
from plantdesk.changes import windows
from plantdesk.cmdb.models import CIClass
from plantdesk.core.errors import InvalidInput
from plantdesk.core.fields import Errors
from plantdesk.core.fields import name_list as names_of

# Calendars are about this century; far-off years are typing mistakes (and overflow date arithmetic).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# One occurrence: a blackout for a campaign or a year-end freeze is long, but not longer than a year.
MAX_LENGTH = timedelta(days=366)
MAX_NAMES = 500  # per scope list: a window on thousands of single CIs wants a class, line or site instead


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(value: object) -> bool:
    return isinstance(value, str) and value in _zones()


def parse_when(value: Any) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 text with its offset; None when it is neither."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset: before the first representable instant
        return None


def clean_times(start_raw: Any, end_raw: Any, errors: Errors) -> tuple[datetime | None, datetime | None]:
    start, end = parse_when(start_raw), parse_when(end_raw)
    known = len(errors)
    for field, raw, value in (("start", start_raw, start), ("end", end_raw, end)):
        if raw in (None, ""):
            errors.add(field, "This field is required (ISO 8601 with its offset, e.g. 2026-03-28T22:00:00+01:00).")
        elif value is None:
            errors.add(field, "Give an ISO 8601 date and time with its offset, e.g. 2026-03-28T22:00:00+01:00.")
        elif not EARLIEST <= value < LATEST:
            errors.add(field, "Must lie between the years 2000 and 2099.")
    if start is None or end is None or len(errors) > known:
        return None, None
    if end <= start:
        errors.add("end", "Must be after start.")
        return None, None
    if end - start > MAX_LENGTH:
        errors.add("end", "An occurrence lasts at most a year; use a recurrence for longer regimes.")
        return None, None
    return start, end


def clean_rrule(rule: str, start: datetime | None, end: datetime | None, zone: str | None, errors: Errors) -> Any:
    """The end of the last occurrence (None: recurs for ever); `...` when it could not be computed."""
    if start is None or end is None or zone is None:
        return ...  # the times or the zone are wrong already; a rule over them says nothing more
    try:
        return windows.last_end(start, end, rule, zone)
    except InvalidInput as exc:
        for error in exc.errors:
            errors.add(error.field, error.message)
        return ...


def name_list(value: Any, field: str, errors: Errors) -> list[str] | None:
    return names_of(value, field, errors, limit=MAX_NAMES)


def resolve_classes(names: Sequence[str], errors: Errors) -> list[CIClass]:
    found = {c.name: c for c in CIClass.objects.filter(name__in=list(names))} if names else {}
    errors.unknown("ci_classes", "CI class", [n for n in names if n not in found])
    return [found[n] for n in names if n in found]


def resolve_sites(codes: Sequence[str], errors: Errors) -> list[Site]:
    found = {s.code: s for s in Site.objects.filter(code__in=list(codes))} if codes else {}
    errors.unknown("sites", "site code", [c for c in codes if c not in found])
    return [found[c] for c in codes if c in found]
