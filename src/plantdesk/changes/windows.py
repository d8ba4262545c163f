"""Occurrences of windows: one-off, or recurring by an RFC 5545 RRULE in an IANA time zone.

Recurrence is expanded on wall-clock time in the window's zone and each occurrence converted to UTC on
its own, so a 22:00-06:00 Berlin window stays 22:00-06:00 local across the DST change (its UTC offset
moves, its length follows the wall clock). `dateutil.rrule` does the RFC 5545 expansion.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.rrule import MINUTELY, SECONDLY, rrule, rrulestr

from plantdesk.core.errors import InvalidInput

MAX_OCCURRENCES = 10_000  # per window and query: a minutely rule over years is a mistake, not a schedule
LAST_END_LIMIT = 20_000  # occurrences of a bounded rule (hourly for two years); more is refused


@dataclass(frozen=True)
class Occurrence:
    start: datetime  # UTC
    end: datetime  # UTC


def parse_rrule(text: str, first_start: datetime, time_zone: str) -> rrule:
    """The rule anchored at the first occurrence's local wall-clock time; InvalidInput naming `rrule`.

    Occurrences come out aware in the window's zone; Python adds timedeltas to those on the wall clock,
    which is what a plant calendar means by "every Saturday 22:00".
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body or "\n" in body or "DTSTART" in body.upper():
        raise InvalidInput.for_field("rrule", "Give one RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=SA;COUNT=10.")
    local_start = first_start.astimezone(zone)
    try:
        try:
            rule = rrulestr(body, dtstart=local_start)
        except ValueError as exc:
            if "UNTIL" not in str(exc):
                raise
            # A floating UNTIL (no Z): RFC 5545 wants UTC here, but calendars send local times too.
            floating = rrulestr(body, dtstart=local_start.replace(tzinfo=None))
            rule = floating.replace(dtstart=local_start, until=floating._until.replace(tzinfo=zone))
    except (ValueError, TypeError) as exc:
        raise InvalidInput.for_field("rrule", f"Not an RFC 5545 RRULE: {exc}.") from None
    if not isinstance(rule, rrule):
        raise InvalidInput.for_field("rrule", "Give one RRULE, not a set of rules.")
    if rule._freq in (SECONDLY, MINUTELY):
        raise InvalidInput.for_field("rrule", "Windows recur hourly at most often (FREQ=HOURLY, DAILY, WEEKLY...).")
    return rule


def _to_utc(local: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall-clock time (the repeated autumn hour) takes its first instance; a time in
    # the spring gap is shifted forward by zoneinfo, as calendar programs do.
    return local.replace(tzinfo=zone).astimezone(UTC)


def occurrences(
    start: datetime, end: datetime, rule_text: str, time_zone: str, window_from: datetime, window_to: datetime
) -> Iterator[Occurrence]:
    """The occurrences overlapping [window_from, window_to), in time order."""
    if not rule_text:
        if start < window_to and end > window_from:
            yield Occurrence(start.astimezone(UTC), end.astimezone(UTC))
        return
    zone = zoneinfo.ZoneInfo(time_zone)
    local_start = start.astimezone(zone)
    local_length = _wall(end.astimezone(zone)) - _wall(local_start)
    rule = parse_rrule(rule_text, start, time_zone)
    # Search bounds, widened by the length (an occurrence starting before `window_from` may still overlap).
    lo = window_from.astimezone(zone) - local_length - timedelta(hours=1)
    hi = window_to.astimezone(zone)
    count = 0
    for local in rule.xafter(max(lo, local_start), inc=True):
        if local >= hi or count >= MAX_OCCURRENCES:
            return
        occ_start = _to_utc(_wall(local), zone)
        occ_end = _to_utc(_wall(local) + local_length, zone)
        if occ_start < window_to and occ_end > window_from:
            count += 1
            yield Occurrence(occ_start, occ_end)


def last_end(start: datetime, end: datetime, rule_text: str, time_zone: str) -> datetime | None:
    """The end of the last occurrence, or None when the rule recurs without end (no COUNT or UNTIL)."""
    if not rule_text:
        return end
    zone = zoneinfo.ZoneInfo(time_zone)
    rule = parse_rrule(rule_text, start, time_zone)
    if getattr(rule, "_count", None) is None and getattr(rule, "_until", None) is None:
        # Paid once, when the window is saved: a rule that never matches (30 February) would otherwise cost
        # seconds on every conflict check that expands it.
        if rule.after(start.astimezone(zone), inc=True) is None:
            raise InvalidInput.for_field("rrule", "The rule has no occurrence at all.")
        return None
    local_length = _wall(end.astimezone(zone)) - _wall(start.astimezone(zone))
    last = None
    for count, occurrence in enumerate(rule):  # bounded by COUNT or UNTIL
        if count >= LAST_END_LIMIT:
            raise InvalidInput.for_field("rrule", "The rule has too many occurrences; end it sooner.")
        last = occurrence
    if last is None:
        raise InvalidInput.for_field("rrule", "The rule has no occurrence at all.")
    return _to_utc(_wall(last) + local_length, zone)


def _wall(value: datetime) -> datetime:
    return value.replace(tzinfo=None)


def covers(occurrence_list: list[Occurrence], start: datetime, end: datetime) -> bool:
    """True when [start, end) lies inside one occurrence, or inside back-to-back ones."""
    cursor = start
    for occ in sorted(occurrence_list, key=lambda o: o.start):
        if occ.start <= cursor < occ.end:
            cursor = occ.end
            if cursor >= end:
                return True
    return cursor >= end
