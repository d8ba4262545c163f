"""The change schedule (DOMAIN.md section 3): the changes and window occurrences in a range, for a site or a
line, and the next free slot of a given length for a set of CIs and an assignee.

Conflict detection (`conflicts.find_conflicts`) is the one judge of whether a slot is free; this module only
proposes the moments worth asking about. The earliest free start is always one of: the earliest allowed
moment, the end of something blocking (a blackout, a running or held production run, another change on a
related CI, the assignee's other change), or the start of a maintenance occurrence: before such a moment
nothing changes that could make a slot free.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from plantdesk.accounts.lookups import active_user
from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import restrict
from plantdesk.changes.choices import ChangeType, ConflictKind, WindowKind
from plantdesk.changes.conflicts import Found, find_conflicts
from plantdesk.changes.containment import contents_of, windows_for_cis, windows_for_site
from plantdesk.changes.models import ChangeCI, ChangeRequest, Window
from plantdesk.changes.queries import visible_changes
from plantdesk.changes.window_input import EARLIEST, LATEST, name_list
from plantdesk.changes.windows import Occurrence, covers, occurrences
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.cmdb.references import cis_named
from plantdesk.core.errors import Conflict, FieldError, Forbidden, InvalidInput
from plantdesk.core.fields import Errors

MAX_RANGE = timedelta(days=100)  # a month view with its leading and trailing weeks fits; a year does not
MAX_CHANGES = 2000
MAX_OCCURRENCES = 5000
SLOT_HORIZON = timedelta(days=180)
MAX_SLOT_CHECKS = 300  # conflict checks per search; each is a handful of indexed queries
MAX_DURATION = timedelta(days=14)


@dataclass(frozen=True)
class Scope:
    """What a calendar shows: everything visible, one site's, or one line's (and what the line contains)."""

    site: Site | None = None
    line: ConfigurationItem | None = None
    line_contents: frozenset[int] = frozenset()

    @property
    def time_zone(self) -> str | None:
        if self.site is not None:
            return self.site.time_zone
        if self.line is not None and self.line.site is not None:
            return self.line.site.time_zone
        return None


@dataclass(frozen=True)
class ScheduledChange:
    number: str
    short_description: str
    type: str
    state: str
    planned_start: datetime
    planned_end: datetime
    cis: list[str]
    site: str | None


@dataclass(frozen=True)
class WindowOccurrence:
    window: int
    kind: str
    name: str
    run_state: str
    start: datetime
    end: datetime
    time_zone: str


@dataclass(frozen=True)
class Schedule:
    changes: list[ScheduledChange]
    windows: list[WindowOccurrence]


def resolve_scope(user: User, site_code: str | None, line_name: str | None) -> Scope:
    errors: list[FieldError] = []
    site = Site.objects.filter(code=site_code).first() if site_code else None
    if site_code and site is None:
        errors.append(FieldError("site", f"Unknown site code {site_code!r}."))
    line = find_visible_ci(user, line_name) if line_name else None
    if line_name and line is None:
        errors.append(FieldError("line", f"Unknown line {line_name!r} (a CI name you can see)."))
    elif line is not None and site is not None and line.site_id != site.pk:
        errors.append(FieldError("line", f"{line.name} is not at site {site.code}."))
    if errors:
        raise InvalidInput.for_fields(errors)
    if line is None:
        return Scope(site=site)
    return Scope(site=site, line=line, line_contents=frozenset(contents_of([line.pk])))


def check_range(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start):
        raise InvalidInput.for_field("from", "Give a time with its offset.")
    if timezone.is_naive(end):
        raise InvalidInput.for_field("to", "Give a time with its offset.")
    if end <= start:
        raise InvalidInput.for_field("to", "Must be after from.")
    if end - start > MAX_RANGE:
        raise InvalidInput.for_field("to", f"At most {MAX_RANGE.days} days after from.")


def schedule_for(user: User, start: datetime, end: datetime, scope: Scope) -> Schedule:
    check_range(start, end)
    return Schedule(changes=_changes(user, start, end, scope), windows=_occurrences(user, start, end, scope))


def _changes(user: User, start: datetime, end: datetime, scope: Scope) -> list[ScheduledChange]:
    qs = visible_changes(user).filter(planned_start__lt=end, planned_end__gt=start)
    if scope.line is not None:
        qs = qs.filter(pk__in=ChangeCI.objects.filter(ci_id__in=sorted(scope.line_contents)).values("change_id"))
    elif scope.site is not None:
        on_site = ChangeCI.objects.filter(ci__site=scope.site).values("change_id")
        qs = qs.filter(Q(site=scope.site) | Q(pk__in=on_site))
    links = Prefetch("ci_links", ChangeCI.objects.select_related("ci").order_by("ci__name"))
    rows = qs.select_related("site").prefetch_related(links).order_by("planned_start", "number")[:MAX_CHANGES]
    return [_scheduled(c) for c in rows if c.planned_start is not None and c.planned_end is not None]


def _scheduled(c: ChangeRequest) -> ScheduledChange:
    assert c.planned_start is not None and c.planned_end is not None
    return ScheduledChange(
        number=c.number,
        short_description=c.short_description,
        type=c.type,
        state=c.state,
        planned_start=c.planned_start,
        planned_end=c.planned_end,
        cis=[link.ci.name for link in c.ci_links.all()],
        site=c.site.code if c.site else None,
    )


def visible_windows(user: User, start: datetime, end: datetime, scope: Scope) -> list[Window]:
    qs = restrict(user, "view", Window).filter(active=True, start__lt=end)
    qs = qs.filter(Q(last_end__isnull=True) | Q(last_end__gt=start))
    if scope.line is not None:
        qs = qs.filter(windows_for_cis(scope.line_contents))
    elif scope.site is not None:
        qs = qs.filter(windows_for_site(scope.site.pk))
    return list(qs.order_by("start", "id"))


def _occurrences(user: User, start: datetime, end: datetime, scope: Scope) -> list[WindowOccurrence]:
    found: list[WindowOccurrence] = []
    for window in visible_windows(user, start, end, scope):
        for occ in occurrences(window.start, window.end, window.rrule, window.time_zone, start, end):
            found.append(WindowOccurrence(window.pk, window.kind, window.name, window.run_state, occ.start, occ.end,
                                          window.time_zone))  # fmt: skip
            if len(found) >= MAX_OCCURRENCES:
                break
    return sorted(found, key=lambda o: (o.start, o.window))


# -- next free slot ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    earliest: datetime  # the first moment allowed (after, now, CAB lead time)
    checked: int  # conflict checks made
    duration_minutes: int = 0
    cis: tuple[str, ...] = ()
    assignee: str | None = None


def find_slot(
    user: User,
    *,
    cis: list[str],
    duration_minutes: int,
    after: datetime | None = None,
    assignee: str | None = None,
    change_type: str = ChangeType.NORMAL,
) -> Slot:
    """The API's and the schedule page's question. InvalidInput names the field; Conflict when nothing is free."""
    if not user.is_fulfiller:
        raise Forbidden("The schedule's free slots are for agents.")
    errors = Errors()
    names = name_list(cis, "cis", errors) or []
    if not names and not errors:
        errors.add("cis", "Name at least one CI.")
    found = cis_named(user, names, "cis", errors)
    person = active_user(assignee) if assignee else None
    if assignee and (person is None or not person.is_fulfiller):
        errors.add("assignee", f"No agent {assignee!r}.")
    if after is not None and timezone.is_naive(after):
        errors.add("after", "Give a time with its offset.")
    elif after is not None and not EARLIEST <= after < LATEST - SLOT_HORIZON:
        errors.add("after", "Must lie between the years 2000 and 2099.")
    if not 1 <= duration_minutes <= MAX_DURATION.total_seconds() // 60:
        errors.add("duration_minutes", f"From 1 minute to {MAX_DURATION.days} days.")
    if change_type not in ChangeType.values:
        errors.add("type", f"One of {', '.join(ChangeType.values)}.")
    if errors:
        raise InvalidInput.for_fields(errors)
    ci_names = tuple(sorted({ci.name: ci for ci in found.values()}))
    ci_ids = sorted({ci.pk for ci in found.values()})
    slot = next_free_slot(ci_ids=ci_ids, duration=timedelta(minutes=duration_minutes), after=after,
                          assignee_id=person.pk if person else None, change_type=change_type)  # fmt: skip
    if slot is None:
        raise Conflict(
            f"No free slot of {duration_minutes} minutes for {', '.join(ci_names)} within {SLOT_HORIZON.days} days.",
            [FieldError("duration_minutes", "Nothing that long is free in the horizon; shorten it or ask the CAB.")],
        )
    return replace(slot, duration_minutes=duration_minutes, cis=ci_names, assignee=person.username if person else None)


def earliest_start(after: datetime | None, change_type: str, now: datetime | None = None) -> datetime:
    """Not in the past; a normal change also not before the CAB has had its lead time to authorise it."""
    now = now or timezone.now()
    earliest = max(after or now, now)
    if change_type == ChangeType.NORMAL:
        earliest = max(earliest, now + timedelta(days=settings.CHANGE_CAB_LEAD_DAYS))
    # To the next whole minute: people plan in minutes, and a slot at 10:00:37 reads like a bug.
    rounded = earliest.replace(second=0, microsecond=0)
    return rounded if rounded == earliest else rounded + timedelta(minutes=1)


def next_free_slot(
    *,
    ci_ids: list[int],
    duration: timedelta,
    after: datetime | None = None,
    assignee_id: int | None = None,
    change_type: str = ChangeType.NORMAL,
) -> Slot | None:
    earliest = earliest_start(after, change_type)
    horizon = earliest + SLOT_HORIZON
    # One check over the whole horizon names every window and change that could block some slot in it.
    everything = find_conflicts(ci_ids=ci_ids, start=earliest, end=horizon + duration, assignee_id=assignee_id)
    blocking = _blocking(everything, earliest, horizon + duration)
    maintenance = _maintenance(ci_ids, earliest, horizon + duration)
    # A CI with maintenance windows takes changes only inside them. Our maintenance list holds at least the
    # windows conflict detection applies to each such CI, so a slot outside all of it cannot be free.
    in_regime = any(f.kind == ConflictKind.OUTSIDE_MAINTENANCE_WINDOW for f in everything)
    starts = {earliest}
    starts |= {b.end for b in blocking if earliest < b.end <= horizon}
    starts |= {m.start for m in maintenance if earliest < m.start <= horizon}
    checked = 0
    for candidate in sorted(starts):
        until = candidate + duration
        if any(b.start < until and b.end > candidate for b in blocking):
            continue  # known to conflict; no need to ask
        if in_regime and not covers(maintenance, candidate, until):
            continue
        if checked >= MAX_SLOT_CHECKS:
            return None
        checked += 1
        if not find_conflicts(ci_ids=ci_ids, start=candidate, end=until, assignee_id=assignee_id):
            return Slot(candidate, until, earliest, checked)
    return None


def _blocking(found: list[Found], start: datetime, end: datetime) -> list[Occurrence]:
    """The occurrences of the windows and the intervals of the changes that conflict somewhere in the range."""
    window_ids = sorted({f.window_id for f in found if f.window_id is not None})
    change_ids = sorted({f.other_change_id for f in found if f.other_change_id is not None})
    intervals: list[Occurrence] = []
    for window in Window.objects.filter(pk__in=window_ids):
        intervals += occurrences(window.start, window.end, window.rrule, window.time_zone, start, end)
    planned = ChangeRequest.objects.filter(pk__in=change_ids).values_list("planned_start", "planned_end")
    intervals += [Occurrence(s, e) for s, e in planned if s is not None and e is not None]
    return intervals


def _maintenance(ci_ids: list[int], start: datetime, end: datetime) -> list[Occurrence]:
    windows = Window.objects.filter(windows_for_cis(ci_ids), active=True, kind=WindowKind.MAINTENANCE, start__lt=end)
    windows = windows.filter(Q(last_end__isnull=True) | Q(last_end__gt=start))
    found: list[Occurrence] = []
    for window in windows:
        found += occurrences(window.start, window.end, window.rrule, window.time_zone, start, end)
    return found
