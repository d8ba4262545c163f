"""The business-time algebra on random schedules and instants (hypothesis), and the cases plants hit:
DST both ways, split shifts, a holiday on a weekday, durations across a year end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plantdesk.slas.calendar import Calendar, Hours

ZONES = ["Europe/Berlin", "Asia/Singapore", "America/Chicago", "Australia/Sydney", "UTC", "America/Sao_Paulo"]
BERLIN = ZoneInfo("Europe/Berlin")


def hours_of(days: range, *ranges: tuple[str, str]) -> list[Hours]:
    def seconds(hhmm: str) -> int:
        h, m = hhmm.split(":")
        return int(h) * 3600 + int(m) * 60

    return [Hours(d, seconds(a), seconds(b)) for d in days for a, b in ranges]


def never_closed(day: date) -> bool:
    return False


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    """Random weekly hours: per weekday up to 3 non-overlapping ranges on 15-minute steps, at least one."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    hours: list[Hours] = []
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))
        pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
        hours += [Hours(weekday, a * 900, b * 900) for a, b in pairs if b > a]
    if sum(h.end - h.start for h in hours) < 4 * 3600:
        # A few minutes a week would put a 120-day target decades out (refused as "no working time").
        hours = [Hours(d, 8 * 3600, 16 * 3600) for d in range(5)]
    closed = draw(st.sets(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=20))
    return Calendar(zone, hours, closed.__contains__)


# hypothesis takes naive bounds and attaches the zone itself
instants = st.datetimes(datetime(2025, 1, 1), datetime(2028, 6, 30), timezones=st.just(UTC))  # noqa: DTZ001
durations = st.timedeltas(timedelta(seconds=1), timedelta(days=120))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations, durations)
def test_due_composes(calendar: Calendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert calendar.due(start, a + b) == calendar.due(calendar.due(start, a), b)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_due_is_inside_working_time_and_elapsed_inverts_it(calendar: Calendar, start: datetime, d: timedelta) -> None:
    due = calendar.due(start, d)
    assert due > start
    assert calendar.elapsed(start, due) == d
    # Inside working time: working just before it (its end is inclusive).
    assert calendar.is_working(due - timedelta(microseconds=1))


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, instants, instants)
def test_elapsed_adds_up(calendar: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted([a, b, c])
    assert calendar.elapsed(a, c) == calendar.elapsed(a, b) + calendar.elapsed(b, c)
    assert calendar.elapsed(a, c) <= c - a


def test_a_night_shift_spanning_the_autumn_dst_change_lasts_nine_hours() -> None:
    night = Calendar(BERLIN, hours_of(range(7), ("22:00", "24:00"), ("00:00", "06:00")), never_closed)
    # 24/25 Oct 2026: clocks go back at 03:00 CEST to 02:00 CET.
    start = datetime(2026, 10, 24, 22, 0, tzinfo=BERLIN)
    assert night.elapsed(start, datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN)) == timedelta(hours=9)
    assert night.due(start, timedelta(hours=8)) == datetime(2026, 10, 25, 5, 0, tzinfo=BERLIN)


def test_a_night_shift_spanning_the_spring_dst_change_lasts_seven_hours() -> None:
    night = Calendar(BERLIN, hours_of(range(7), ("22:00", "24:00"), ("00:00", "06:00")), never_closed)
    start = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN)  # clocks go forward at 02:00 on the 29th
    assert night.elapsed(start, datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)) == timedelta(hours=7)
    assert night.due(start, timedelta(hours=7)) == datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)


def test_split_shift_with_a_break_and_a_holiday_on_a_weekday() -> None:
    shifts = hours_of(range(5), ("06:00", "10:00"), ("10:30", "14:00"))
    holidays = {date(2026, 11, 18)}  # a Wednesday closed (Buss- und Bettag in Saxony)
    calendar = Calendar(BERLIN, shifts, holidays.__contains__)
    start = datetime(2026, 11, 17, 9, 0, tzinfo=BERLIN)  # Tuesday
    # 1 h before the break, 3.5 h after: Tuesday done at 14:00 with 4.5 h; Wednesday closed;
    # Thursday 06:00 + 1.5 h = 07:30.
    assert calendar.due(start, timedelta(hours=6)) == datetime(2026, 11, 19, 7, 30, tzinfo=BERLIN)
    assert calendar.elapsed(
        datetime(2026, 11, 17, 9, 45, tzinfo=BERLIN), datetime(2026, 11, 17, 10, 45, tzinfo=BERLIN)
    ) == timedelta(minutes=30)


def test_a_duration_across_the_year_end() -> None:
    weekdays = hours_of(range(5), ("08:00", "16:00"))
    closed = {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)}
    calendar = Calendar(BERLIN, weekdays, closed.__contains__)
    start = datetime(2026, 12, 23, 15, 0, tzinfo=BERLIN)  # Wednesday
    # 1 h on the 23rd; 28th-30th give 24 h; then Monday 4 January.
    assert calendar.due(start, timedelta(hours=26)) == datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
    assert calendar.elapsed(start, datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)) == timedelta(hours=26)


def test_next_periods_preview() -> None:
    calendar = Calendar(BERLIN, hours_of(range(5), ("06:00", "14:00"), ("14:00", "22:00")), never_closed)
    periods = calendar.periods(datetime(2026, 11, 27, 12, 0, tzinfo=BERLIN), 2)  # a Friday
    assert periods[0] == (datetime(2026, 11, 27, 6, 0, tzinfo=BERLIN), datetime(2026, 11, 27, 22, 0, tzinfo=BERLIN))
    assert periods[1][0] == datetime(2026, 11, 30, 6, 0, tzinfo=BERLIN)  # adjacent shifts merge; Monday next
