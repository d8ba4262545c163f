"""Schedule definitions: validating the API form (field errors named like `hours[1].end`) and compiling
a schedule into a `Calendar`, cached per process until the schedule changes."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from plantdesk.core.errors import FieldError
from plantdesk.slas.calendar import DAY_SECONDS, Calendar, Hours
from plantdesk.slas.models import Schedule

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TIME = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
MAX_RANGES = 50
RESERVED_NAMES = frozenset({"new", "preview"})
MAX_CLOSED_DAYS = 1000


def parse_days(text: Any) -> list[int] | None:
    """'mon-fri', 'sat', 'mon,wed,fri', 'fri-mon' (wrapping) -> weekday numbers; None if unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    days: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        ends = part.split("-")
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            return None
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        days += [(first + i) % 7 for i in range((last - first) % 7 + 1)]
    return sorted(set(days))


def parse_time(text: Any) -> int | None:
    """'06:00' -> seconds of the day; '24:00' is the end of the day; None if unreadable."""
    match = TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    seconds = int(match.group(1)) * 3600 + int(match.group(2)) * 60
    return seconds if seconds <= DAY_SECONDS else None


def parse_hours(raw: Any, errors: list[FieldError]) -> list[Hours]:
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("hours", "Give at least one range, e.g. {days: mon-fri, start: 06:00, end: 14:00}."))
        return []
    if len(raw) > MAX_RANGES:
        errors.append(FieldError("hours", f"At most {MAX_RANGES} ranges."))
        return []
    parsed: list[tuple[int, Hours]] = []
    for i, item in enumerate(raw):
        where = f"hours[{i}]"
        if not isinstance(item, dict) or set(item) - {"days", "start", "end"}:
            errors.append(FieldError(where, "Must be {days, start, end}."))
            continue
        days, start, end = parse_days(item.get("days")), parse_time(item.get("start")), parse_time(item.get("end"))
        if days is None:
            errors.append(FieldError(f"{where}.days", "Weekdays like mon-fri, sat or mon,wed,fri."))
        if start is None or start >= DAY_SECONDS:
            errors.append(FieldError(f"{where}.start", "A time from 00:00 to 23:59."))
        if end is None:
            errors.append(FieldError(f"{where}.end", "A time from 00:01 to 24:00."))
        elif start is not None and end <= start:
            errors.append(FieldError(f"{where}.end", "Must be after start (split a night shift at 24:00)."))
        elif days is not None and start is not None:
            parsed += [(i, Hours(d, start, end)) for d in days]
    by_day: dict[int, list[tuple[int, Hours]]] = {}
    for i, h in parsed:
        by_day.setdefault(h.weekday, []).append((i, h))
    for day, ranges in by_day.items():
        ranges.sort(key=lambda r: r[1].start)
        for (i, a), (j, b) in itertools.pairwise(ranges):
            if b.start < a.end:
                errors.append(FieldError(f"hours[{max(i, j)}]", f"Overlaps hours[{min(i, j)}] on {WEEKDAYS[day]}."))
    return [h for _, h in parsed]


def parse_zone(raw: Any, errors: list[FieldError]) -> str:
    if isinstance(raw, str) and ("/" in raw or raw == "UTC") and len(raw) <= 64:
        try:
            ZoneInfo(raw)
            return raw
        except (ZoneInfoNotFoundError, ValueError):
            pass
    errors.append(FieldError("time_zone", f"Unknown time zone {raw!r}; use an IANA name like Europe/Berlin."))
    return ""


def parse_holidays(raw: Any, errors: list[FieldError]) -> tuple[str, str]:
    """{"country": "DE", "subdivision": "BE"} (subdivision optional) or null for none."""
    if raw in (None, {}):
        return "", ""
    if not isinstance(raw, dict) or set(raw) - {"country", "subdivision"}:
        errors.append(FieldError("holidays", 'Must be {"country": "DE", "subdivision": "BE"} or null.'))
        return "", ""
    country, subdivision = raw.get("country"), raw.get("subdivision") or ""
    supported = holidays.list_supported_countries()
    if not isinstance(country, str) or country.upper() not in supported:
        errors.append(FieldError("holidays.country", f"Unknown country {country!r}; use an ISO 3166 code like DE."))
        return "", ""
    country = country.upper()
    if subdivision and (not isinstance(subdivision, str) or subdivision not in supported[country]):
        choices = ", ".join(supported[country][:40]) or "none"
        errors.append(
            FieldError("holidays.subdivision", f"Unknown subdivision {subdivision!r} of {country} ({choices}).")
        )
        return country, ""
    return country, str(subdivision)


def parse_closed_days(raw: Any, errors: list[FieldError]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_CLOSED_DAYS:
        errors.append(FieldError("extra_closed_days", f"A list of at most {MAX_CLOSED_DAYS} dates (YYYY-MM-DD)."))
        return []
    days: list[str] = []
    for i, value in enumerate(raw):
        try:
            days.append(date.fromisoformat(value).isoformat())
        except (TypeError, ValueError):
            errors.append(FieldError(f"extra_closed_days[{i}]", "A date (YYYY-MM-DD)."))
    return sorted(set(days))


def parse_schedule(data: Mapping[str, Any], errors: list[FieldError], *, partial: bool = False) -> dict[str, Any]:
    """Model values of an API schedule; fields absent from a partial update are left out."""
    values: dict[str, Any] = {}
    for field in set(data) - {"name", "time_zone", "hours", "holidays", "extra_closed_days"}:
        errors.append(FieldError(field, "Unknown field."))
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100 or "\x00" in name:
            errors.append(FieldError("name", "A name of 1 to 100 characters."))
        elif "/" in name or name.strip() in RESERVED_NAMES:
            errors.append(FieldError("name", "No '/' and not 'new' or 'preview' (the pages use those)."))
        else:
            values["name"] = name.strip()
    if "time_zone" in data or not partial:
        values["time_zone"] = parse_zone(data.get("time_zone"), errors)
    if "hours" in data or not partial:
        parse_hours(data.get("hours"), errors)
        values["hours"] = data.get("hours")
    if "holidays" in data:
        values["holiday_country"], values["holiday_subdivision"] = parse_holidays(data["holidays"], errors)
    if "extra_closed_days" in data:
        values["extra_closed_days"] = parse_closed_days(data["extra_closed_days"], errors)
    return values


def schedule_to_dict(schedule: Schedule) -> dict[str, Any]:
    country, subdivision = schedule.holiday_country, schedule.holiday_subdivision
    return {
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "hours": schedule.hours,
        "holidays": {"country": country, "subdivision": subdivision or None} if country else None,
        "extra_closed_days": schedule.extra_closed_days,
        "updated_at": schedule.updated_at,
    }


def calendar_for(schedule: Schedule) -> Calendar:
    """The compiled calendar of a schedule, rebuilt when its definition changes (the key is its content)."""
    return _compiled(_key(schedule))


def _key(schedule: Schedule) -> tuple[Any, ...]:
    return (schedule.time_zone, json.dumps(schedule.hours, sort_keys=True), schedule.holiday_country,
            schedule.holiday_subdivision, tuple(schedule.extra_closed_days))  # fmt: skip


@lru_cache(maxsize=256)
def _compiled(key: tuple[Any, ...]) -> Calendar:
    zone, hours_json, country, subdivision, closed = key
    hours = parse_hours(json.loads(hours_json), [])
    closed_days = {date.fromisoformat(d) for d in closed}
    public = holidays.country_holidays(country, subdiv=subdivision or None) if country else {}

    def is_closed(day: date) -> bool:
        return day in closed_days or day in public

    return Calendar(ZoneInfo(zone), hours, is_closed)
