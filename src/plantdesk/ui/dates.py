"""How dates and times are written for the person reading: one style per page, from their own setting or
else their language's ("24.12.2026 06:00" in German, "2026-12-24 06:00" in English). Shown and typed alike,
so that what a page prints can be typed back into its forms. The zone is always the active one
(django.utils.timezone), named beside every shown time.

The UserLocaleMiddleware activates a style per request; outside a request the active language's style holds.
`ui.times` prints a page's times with it, `ui.date_inputs` reads them back.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DateStyle:
    date: str  # strftime format of a date
    datetime: str  # ... of a date and time (minutes; never seconds or microseconds on a page)
    date_inputs: tuple[str, ...]  # strptime formats accepted when typed, the shown one first
    datetime_inputs: tuple[str, ...]
    date_hint: Promise  # the format as people read it ("DD.MM.YYYY"), in the page's language
    datetime_hint: Promise


STYLES = {
    "dmy": DateStyle(
        date="%d.%m.%Y",
        datetime="%d.%m.%Y %H:%M",
        date_inputs=("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"),
        datetime_inputs=(
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y, %H:%M",
            "%d.%m.%y %H:%M",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ),
        date_hint=_("DD.MM.YYYY"),
        datetime_hint=_("DD.MM.YYYY hh:mm"),
    ),
    "ymd": DateStyle(
        date="%Y-%m-%d",
        datetime="%Y-%m-%d %H:%M",
        date_inputs=("%Y-%m-%d",),
        datetime_inputs=("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"),
        date_hint=_("YYYY-MM-DD"),
        datetime_hint=_("YYYY-MM-DD hh:mm"),
    ),
}
# A language's own style, for people who did not choose one.
LANGUAGE_STYLES = {"de": "dmy", "en": "ymd"}
DEFAULT_STYLE = "ymd"
# What the example in a hint or an error shows ("e.g. 24.12.2026 06:00").
EXAMPLE = datetime(2026, 12, 24, 6, 0)  # noqa: DTZ001 - a wall-clock time, only ever formatted

_chosen: ContextVar[str] = ContextVar("plantdesk_date_style", default="")


def activate_style(name: str) -> Token[str]:
    """The person's own choice for this request ('' or an unknown name: their language's style)."""
    return _chosen.set(name if name in STYLES else "")


def deactivate_style(token: Token[str]) -> None:
    _chosen.reset(token)


def current_style() -> DateStyle:
    chosen = _chosen.get()
    if chosen:
        return STYLES[chosen]
    language = (translation.get_language() or "en").split("-")[0]
    return STYLES[LANGUAGE_STYLES.get(language, DEFAULT_STYLE)]


def format_wall_clock(value: datetime) -> str:
    """'24.12.2026 06:00': the time as given (already in the zone meant), without the zone; `ui.times`
    names the zone beside it for the pages."""
    return value.strftime(current_style().datetime)


def format_date(value: date) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.strftime(current_style().date)


def parse_datetime(raw: str) -> datetime | None:
    """A typed wall-clock time (naive; the caller names its zone), or None if it is not one in this style."""
    text = " ".join(raw.split())
    for pattern in current_style().datetime_inputs:
        try:
            return datetime.strptime(text, pattern)  # noqa: DTZ007 - a wall-clock time; the caller attaches the zone
        except ValueError:
            continue
    return None


def parse_date(raw: str) -> date | None:
    text = raw.strip()
    for pattern in current_style().date_inputs:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - only the date is kept
        except ValueError:
            continue
    return None


def datetime_example() -> str:
    return EXAMPLE.strftime(current_style().datetime)


def date_example() -> str:
    return EXAMPLE.strftime(current_style().date)
