"""Business time on a plant calendar, exact to the microsecond and across DST changes.

A calendar turns weekly working hours in a local time zone, public holidays and closed days into a sorted
list of working intervals in UTC (integer microseconds since the epoch), built a year at a time, with the
working time before each interval summed up front. Then:

- `elapsed(a, b)`: working time between two instants = the difference of the running totals at b and a;
- `due(start, d)`: the instant at which `d` of working time has passed since `start` = the running total
  at start plus d, found by bisection in the totals.

Both are O(log n) with no date arithmetic at query time, so a clock evaluation costs a few microseconds
and the algebra holds exactly: due(s, a + b) == due(due(s, a), b) and elapsed(s, due(s, d)) == d. Hours are
wall-clock hours: a 22:00-24:00 range on the night clocks go back lasts three real hours, and the instant
a due date falls on is always inside working time (its end inclusive).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

US = 1_000_000
DAY_SECONDS = 86_400
MAX_YEARS_AHEAD = 30  # a due date further out than this means the schedule has (almost) no working time


@dataclass(frozen=True)
class Hours:
    """A working range on one weekday (0 = Monday), in seconds of the local day; end may be 86,400 (24:00)."""

    weekday: int
    start: int
    end: int


def to_us(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    delta = instant.astimezone(UTC) - EPOCH
    return (delta.days * DAY_SECONDS + delta.seconds) * US + delta.microseconds


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Calendar:
    def __init__(self, zone: ZoneInfo, hours: Iterable[Hours], is_closed: Callable[[date], bool]) -> None:
        self.zone = zone
        self._is_closed = is_closed
        self._by_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for h in sorted(hours, key=lambda h: (h.weekday, h.start)):
            self._by_weekday[h.weekday].append((h.start, h.end))
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []  # working time before interval i (since the first compiled year)
        self._after: list[int] = []  # working time up to the end of interval i
        self._first_year = 0
        self._last_year = -1

    # -- queries -------------------------------------------------------------------------------

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (zero if end is not after start)."""
        a, b = to_us(start), to_us(end)
        if b <= a:
            return timedelta(0)
        self._cover(a)
        self._cover(b)
        return timedelta(microseconds=self._total_at(b) - self._total_at(a))

    def elapsed_us(self, a: int, b: int) -> int:
        """As elapsed, on epoch microseconds (the form clocks store)."""
        if b <= a:
            return 0
        self._cover(a)
        self._cover(b)
        return self._total_at(b) - self._total_at(a)

    def due(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of working time has passed since `start`."""
        return from_us(self.due_us(to_us(start), duration // timedelta(microseconds=1)))

    def due_us(self, start: int, duration: int) -> int:
        if duration <= 0:
            return start
        self._cover(start)
        target = self._total_at(start) + duration
        years = 0
        while not self._after or self._after[-1] < target:
            if years > MAX_YEARS_AHEAD:
                raise ValueError("The schedule has no working time within the next 30 years.")
            self._extend_to(self._last_year + 1)
            years += 1
        i = bisect.bisect_left(self._after, target)
        return self._starts[i] + (target - self._before[i])

    def is_working(self, instant: datetime) -> bool:
        t = to_us(instant)
        self._cover(t)
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def periods(self, start: datetime, count: int) -> list[tuple[datetime, datetime]]:
        """The next `count` working periods from `start` (the one in progress first), in the local zone."""
        t = to_us(start)
        self._cover(t)
        i = max(bisect.bisect_right(self._starts, t) - 1, 0)
        if self._ends and self._ends[i] <= t:
            i += 1
        found: list[tuple[datetime, datetime]] = []
        years = 0
        while len(found) < count and years <= MAX_YEARS_AHEAD:
            while i >= len(self._starts):
                self._extend_to(self._last_year + 1)
                years += 1
                if years > MAX_YEARS_AHEAD:
                    return found
            found.append((from_us(self._starts[i]).astimezone(self.zone), from_us(self._ends[i]).astimezone(self.zone)))
            i += 1
        return found

    # -- building the intervals ---------------------------------------------------------------

    def _total_at(self, t: int) -> int:
        i = bisect.bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        return self._before[i] + min(t, self._ends[i]) - self._starts[i]

    def _cover(self, t: int) -> None:
        """Make sure the intervals around instant `t` are built (a local year either side is enough for
        any zone's offset)."""
        year = from_us(t).year
        if self._last_year < self._first_year:
            self._build(year - 1, year + 1)
        elif year - 1 < self._first_year:
            self._build(year - 1, self._last_year)
        elif year + 1 > self._last_year:
            self._extend_to(year + 1)

    def _extend_to(self, last_year: int) -> None:
        for year in range(self._last_year + 1, last_year + 1):
            self._append(self._intervals_of(year))
        self._last_year = max(self._last_year, last_year)

    def _build(self, first_year: int, last_year: int) -> None:
        """(Re)build from scratch: running totals start at the first year, so going back rebuilds."""
        self._starts, self._ends, self._before, self._after = [], [], [], []
        self._first_year, self._last_year = first_year, first_year - 1
        self._extend_to(last_year)

    def _append(self, intervals: Iterable[tuple[int, int]]) -> None:
        for start, end in intervals:
            if self._ends:
                start = max(start, self._ends[-1])  # a range inside a DST gap can overlap the next one
            if end <= start:
                continue
            if self._ends and start == self._ends[-1]:  # 14:00-22:00 then 22:00-24:00: one interval
                self._ends[-1] = end
                self._after[-1] = self._before[-1] + end - self._starts[-1]
                continue
            before = self._after[-1] if self._after else 0
            self._starts.append(start)
            self._ends.append(end)
            self._before.append(before)
            self._after.append(before + end - start)

    def _intervals_of(self, year: int) -> Iterable[tuple[int, int]]:
        day = date(year, 1, 1)
        while day.year == year:
            if not self._is_closed(day):
                for start, end in self._by_weekday[day.weekday()]:
                    yield self._local_us(day, start), self._local_us(day, end)
            day += timedelta(days=1)

    def _local_us(self, day: date, seconds: int) -> int:
        if seconds >= DAY_SECONDS:
            day, seconds = day + timedelta(days=1), seconds - DAY_SECONDS
        local = datetime.combine(day, time(seconds // 3600, seconds // 60 % 60, seconds % 60), tzinfo=self.zone)
        return to_us(local)
