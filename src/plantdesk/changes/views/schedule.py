"""The change calendar: a month or a week of a site or a line, days as cells listing the changes and window
occurrences, times on the site's clock with the zone named; and the "next free slot" form beside it."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from plantdesk.accounts.models import Site, User
from plantdesk.changes import schedule
from plantdesk.changes.choices import RunState, State, WindowKind
from plantdesk.changes.views.window_forms import NextSlotForm, ScheduleForm, split_names
from plantdesk.core.errors import DomainError
from plantdesk.ui import times
from plantdesk.ui.htmx import add_domain_error, agents_only, fulfiller_required, is_htmx, signed_in_user, vary_on_htmx

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EN_DASH = "\u2013"  # a span of times, as printed calendars write it
# Monday first; the names come translated with Django itself ("Mo", "Di" ... in German).
WEEKDAYS = [WEEKDAYS_ABBR[day] for day in range(7)]
_RUN_STATES = dict(RunState.choices)
_STATES = dict(State.choices)
KIND_LABELS: dict[str, StrOrPromise] = {
    WindowKind.MAINTENANCE: _("Maintenance"),
    WindowKind.BLACKOUT: _("Blackout"),
    WindowKind.PRODUCTION_RUN: _("Production run"),
}


def zone_abbreviation(value: datetime, zone: str) -> str:
    """'CEST'; the IANA name where the zone has no letters for itself (Asia/Singapore is '+08')."""
    return times.zone_abbreviation(value.astimezone(zoneinfo.ZoneInfo(zone)))


def zoned(value: datetime, zone: str) -> str:
    """'28.03.2026 22:00 CET': a time on a given clock (the page's) in the reader's date style, the zone named."""
    return times.local_datetime(value.astimezone(zoneinfo.ZoneInfo(zone)))


@dataclass
class Entry:
    css: str  # change | maintenance | blackout | production_run: how the cell tells them apart
    label: str
    badge: str
    time: str  # this day's part: "08:00-12:00", "22:00 →", "→ 06:00", "all day"
    title: str  # the whole span, zone named
    href: str
    start: datetime


@dataclass
class Day:
    day: date
    in_range: bool
    today: bool
    entries: list[Entry] = field(default_factory=list)


def _midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def grid_days(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first shown, last shown, first of the period, last of the period): whole weeks, Monday first."""
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return first, first + timedelta(days=6), first, first + timedelta(days=6)
    period_first = anchor.replace(day=1)
    period_last = (period_first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    first = period_first - timedelta(days=period_first.weekday())
    last = period_last + timedelta(days=6 - period_last.weekday())
    return first, last, period_first, period_last


def _change_href(number: str) -> str:
    try:
        return reverse("ui:changes:detail", args=[number])
    except NoReverseMatch:  # the change pages are wired separately
        return f"/changes/{number}/"


def _part(start: datetime, end: datetime, day_start: datetime, day_end: datetime, zone: zoneinfo.ZoneInfo) -> str:
    if start <= day_start and end >= day_end:
        return str(_("all day"))
    before, after = start < day_start, end > day_end
    if before:
        return f"→ {end.astimezone(zone):%H:%M}"
    if after:
        return f"{start.astimezone(zone):%H:%M} →"
    return f"{start.astimezone(zone):%H:%M}{EN_DASH}{end.astimezone(zone):%H:%M}"


def place(days: list[Day], zone_name: str, items: list[tuple[datetime, datetime, dict[str, str]]]) -> None:
    """Put each item on every day it touches, with the part of it that falls on that day."""
    zone = zoneinfo.ZoneInfo(zone_name)
    bounds = [(_midnight(d.day, zone), _midnight(d.day + timedelta(days=1), zone)) for d in days]
    for start, end, what in items:
        title = f"{zoned(start, zone_name)} {EN_DASH} {zoned(end, zone_name)}"
        for day, (day_start, day_end) in zip(days, bounds, strict=True):
            if start < day_end and end > day_start:
                part = _part(start, end, day_start, day_end, zone)
                day.entries.append(Entry(what["css"], what["label"], what["badge"], part, title, what["href"], start))
    for day in days:
        day.entries.sort(key=lambda e: (e.start, e.css != "change", e.label))


def _items(found: schedule.Schedule) -> list[tuple[datetime, datetime, dict[str, str]]]:
    items: list[tuple[datetime, datetime, dict[str, str]]] = []
    for c in found.changes:
        badge = f"{c.number} · {_STATES.get(c.state, c.state)}"
        items.append((c.planned_start, c.planned_end, {"css": "change", "label": c.short_description, "badge": badge,
                                                       "href": _change_href(c.number)}))  # fmt: skip
    for o in found.windows:
        badge = str(KIND_LABELS.get(o.kind, o.kind))
        if o.run_state:
            badge += f" · {_RUN_STATES.get(o.run_state, o.run_state)}"
        href = reverse("ui:changes:windows") + f"#window-{o.window}"
        items.append((o.start, o.end, {"css": o.kind, "label": o.name, "badge": badge, "href": href}))
    return items


def _zone_for(user: User, scope: schedule.Scope) -> str:
    return scope.time_zone or user.display_time_zone


def schedule_page(
    request: HttpRequest, *, slot_form: NextSlotForm | None = None, slot: Any = None, status: int = 200
) -> HttpResponse:
    user = signed_in_user(request)
    form = ScheduleForm(request.GET or None, user=user)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "month"
    scope = schedule.Scope()
    try:
        scope = schedule.resolve_scope(user, data.get("site") or None, (data.get("line") or "").strip() or None)
    except DomainError as error:
        add_domain_error(form, error)
        status = 400
    zone_name = _zone_for(user, scope)
    zone = zoneinfo.ZoneInfo(zone_name)
    today = timezone.now().astimezone(zone).date()
    anchor = data.get("date") or today
    first, last, period_first, period_last = grid_days(view, anchor)
    days = [Day(first + timedelta(days=n), period_first <= first + timedelta(days=n) <= period_last,
                first + timedelta(days=n) == today) for n in range((last - first).days + 1)]  # fmt: skip
    found = schedule.schedule_for(user, _midnight(first, zone), _midnight(last + timedelta(days=1), zone), scope)
    place(days, zone_name, _items(found))
    step_back, step_on = _neighbours(view, period_first)
    context = {
        "form": form,
        "view": view,
        "weeks": [days[i : i + 7] for i in range(0, len(days), 7)],
        "weekdays": WEEKDAYS,
        "title": date_format(period_first, "F Y")  # the month's name in the reader's language
        if view == "month"
        else _("Week of %(day)s") % {"day": times.local_date(period_first)},
        "zone_name": zone_name,
        "zone_abbreviation": zone_abbreviation(_midnight(period_first, zone), zone_name),
        "scope": scope,
        "previous": step_back.isoformat(),
        "next": step_on.isoformat(),
        "today": today.isoformat(),
        "change_count": len(found.changes),
        "slot_form": slot_form or NextSlotForm(initial={"duration_minutes": 240, "type": "normal"}),
        "slot": slot,
        "slot_site": scope.site.code if scope.site else "",
    }
    return vary_on_htmx(render(request, "changes/schedule.html", context, status=status))


def _neighbours(view: str, period_first: date) -> tuple[date, date]:
    if view == "week":
        return period_first - timedelta(days=7), period_first + timedelta(days=7)
    before = (period_first - timedelta(days=1)).replace(day=1)
    after = (period_first + timedelta(days=32)).replace(day=1)
    return before, after


@require_http_methods(["GET"])
@fulfiller_required(agents_only)
def schedule_view(request: HttpRequest) -> HttpResponse:
    return schedule_page(request)


@dataclass(frozen=True)
class SlotShown:
    start: str
    end: str
    cis: tuple[str, ...]
    assignee: str | None
    earliest: str
    week_of: str
    site: str


@require_http_methods(["GET"])
@fulfiller_required(agents_only)
def next_slot(request: HttpRequest) -> HttpResponse:
    """The free-slot form's answer: the form and its result (a fragment for HTMX, else the whole page)."""
    user = signed_in_user(request)
    site = Site.objects.filter(code=request.GET.get("site") or "").first()
    zone_name = site.time_zone if site else user.display_time_zone
    form = NextSlotForm(request.GET)
    shown, status = None, 200
    if not form.is_valid():
        status = 400
    else:
        after = form.after_in(zone_name)
        if not form.errors:
            shown, status = _ask(user, form, after, zone_name, site)
        else:
            status = 400
    if is_htmx(request):
        context = {"slot_form": form, "slot": shown, "slot_site": site.code if site else "", "zone_name": zone_name}
        return vary_on_htmx(render(request, "changes/schedule_slot.html", context, status=status))
    return schedule_page(request, slot_form=form, slot=shown, status=status)


def _ask(
    user: User, form: NextSlotForm, after: datetime | None, zone_name: str, site: Site | None
) -> tuple[SlotShown | None, int]:
    data = form.cleaned_data
    try:
        slot = schedule.find_slot(user, cis=split_names(data["cis"]), duration_minutes=data["duration_minutes"],
                                  after=after, assignee=(data.get("assignee") or "").strip() or None,
                                  change_type=data["type"])  # fmt: skip
    except DomainError as error:
        add_domain_error(form, error)
        if error.status == 409:  # no slot: say what was searched, above the form
            form.add_error(None, error.detail)
        return None, error.status
    local_day = slot.start.astimezone(zoneinfo.ZoneInfo(zone_name)).date()
    shown = SlotShown(start=zoned(slot.start, zone_name), end=zoned(slot.end, zone_name), cis=slot.cis,
                      assignee=slot.assignee, earliest=zoned(slot.earliest, zone_name),
                      week_of=local_day.isoformat(), site=site.code if site else "")  # fmt: skip
    return shown, 200
