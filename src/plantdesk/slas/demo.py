"""The demo plant's service levels: Berlin on two weekday shifts with Berlin's public holidays, Singapore
around the clock; P1 on 24x7 everywhere, P2-P4 on each site's own hours; an OLA for MES Support."""

from __future__ import annotations

from typing import Any

from plantdesk.accounts.lookups import site_coded
from plantdesk.accounts.models import User
from plantdesk.slas.actions import do_create_definition, do_create_schedule, do_set_schedule_locations
from plantdesk.slas.models import Schedule, SLADefinition

ALL_DAY = [{"days": "mon-sun", "start": "00:00", "end": "24:00"}]
TWO_SHIFTS = [
    {"days": "mon-fri", "start": "06:00", "end": "14:00"},  # early shift
    {"days": "mon-fri", "start": "14:00", "end": "22:00"},  # late shift
]
SCHEDULES: list[dict[str, Any]] = [
    {"name": "BER two shifts", "time_zone": "Europe/Berlin", "hours": TWO_SHIFTS,
     "holidays": {"country": "DE", "subdivision": "BE"}, "extra_closed_days": ["2026-12-31"]},
    {"name": "SIN 24x7", "time_zone": "Asia/Singapore", "hours": ALL_DAY},
    {"name": "24x7", "time_zone": "UTC", "hours": ALL_DAY},
]  # fmt: skip

# (priority, response, resolution): P1 runs on 24x7, the others on the site's hours.
TARGETS = [(1, "PT15M", "PT4H"), (2, "PT30M", "PT8H"), (3, "PT2H", "PT24H"), (4, "PT8H", "PT40H")]


def load_demo_slas(admin: User) -> int:
    """Create the demo schedules and definitions unless there are some; returns the definitions created."""
    if Schedule.objects.exists() or SLADefinition.objects.exists():
        return 0
    for schedule in SCHEDULES:
        do_create_schedule(schedule, actor=admin)
    berlin, singapore = Schedule.objects.get(name="BER two shifts"), Schedule.objects.get(name="SIN 24x7")
    for own, code in ((berlin, "ber"), (singapore, "sin")):
        site = site_coded(code)
        do_set_schedule_locations(own, sites=[site] if site else [], actor=admin)
    created = 0
    for priority, response, resolution in TARGETS:
        for target, duration in (("response", response), ("resolution", resolution)):
            do_create_definition(
                {"name": f"P{priority} {target}", "target": target, "duration": duration,
                 "schedule": "24x7" if priority == 1 else "BER two shifts", "use_location_schedule": priority > 1,
                 "conditions": {"priority": [priority]}, "breach_actions": [{"action": "notify"}]},
                actor=admin,
            )  # fmt: skip
            created += 1
    do_create_definition(
        {"name": "MES Support OLA", "kind": "ola", "target": "resolution", "duration": "PT6H",
         "schedule": "BER two shifts", "use_location_schedule": True,
         "conditions": {"assignment_group": ["MES Support"], "priority": [1, 2, 3]}},
        actor=admin,
    )  # fmt: skip
    return created + 1
