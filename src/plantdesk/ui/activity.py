"""A record's activity stream: people's comments and work notes first, PlantDesk's own notes behind a filter.

An incident that waited through a shift can carry a dozen automatic notes ("SLA warning 50/75/90 %");
they must not bury what the caller and the agents wrote. The default view shows people's entries and
says how many system notes it leaves out; "All" shows everything in order with system notes one line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from plantdesk.core.models import JournalEntry, JournalKind, Visibility

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PEOPLE = "people"
# key -> label, in the order the filter shows them
FILTERS: dict[str, StrOrPromise] = {PEOPLE: _("People"), "all": _("All"), "comments": _("Comments"),
                                    "work_notes": _("Work notes"), "system": _("System")}  # fmt: skip


def _matches(entry: JournalEntry, key: str) -> bool:
    system = entry.kind == JournalKind.SYSTEM
    if key == "all":
        return True
    if key == "system":
        return system
    if system:
        return False
    if key == "comments":
        return entry.visibility == Visibility.PUBLIC
    if key == "work_notes":
        return entry.visibility == Visibility.INTERNAL and entry.kind != JournalKind.COMMUNICATION
    return True  # people: everything a person wrote


@dataclass(frozen=True)
class ActivityFilter:
    key: str
    label: StrOrPromise
    count: int
    selected: bool


@dataclass(frozen=True)
class Activity:
    entries: list[JournalEntry]
    filters: list[ActivityFilter]
    selected: str
    hidden_system: int  # system notes the selected view leaves out


def activity(journal: Sequence[JournalEntry], selected: str | None, *, with_internal: bool) -> Activity:
    """The entries for one filter; the filter bar only where there is something to filter (agents)."""
    key = selected if selected in FILTERS else PEOPLE
    entries = [e for e in journal if _matches(e, key)]
    system = sum(1 for e in journal if e.kind == JournalKind.SYSTEM)
    filters = (
        [ActivityFilter(k, label, sum(1 for e in journal if _matches(e, k)), k == key) for k, label in FILTERS.items()]
        if with_internal
        else []
    )
    return Activity(entries, filters, key, system if key in (PEOPLE, "comments", "work_notes") else 0)
