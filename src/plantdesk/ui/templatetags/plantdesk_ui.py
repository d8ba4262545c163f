"""Template helpers: badges, times with their zone named, and readable audit values."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plantdesk.cmdb.choices import Criticality, ValidationStatus
from plantdesk.cmdb.choices import Status as CIStatus
from plantdesk.incidents.choices import HoldReason, Priority, Source, State

register = template.Library()

_PRIORITY_NAMES = {p.value: p.label.split(" - ", 1)[1] for p in Priority}
_STATE_LABELS = dict(State.choices)

# Field names of the audit trail as people read them on the history tab.
FIELD_LABELS = {
    "short_description": "Short description",
    "description": "Description",
    "impact": "Impact",
    "urgency": "Urgency",
    "priority": "Priority",
    "category": "Category",
    "ci": "Configuration item",
    "site": "Site",
    "source": "Source",
    "caller": "Caller",
    "assignment_group": "Assignment group",
    "assignee": "Assignee",
    "hold_reason": "Hold reason",
    "resolution_code": "Resolution code",
    "resolution_notes": "Resolution notes",
    "cancel_reason": "Cancel reason",
    "parent": "Parent incident",
    "major_incident": "Major incident",
    "major_incident_owner": "Major incident owner",
    "time_worked_minutes": "Time worked (minutes)",
    "state": "State",
    "journal": "Journal",
    # configuration items
    "ci_class": "Class",
    "gxp_relevant": "GxP relevant",
    "gamp_category": "GAMP category",
    "part11_applicable": "Part 11 applicable",
    "qa_owner": "QA owner",
    "security_level_target": "Security level, target",
    "security_level_achieved": "Security level, achieved",
    "security_zone": "Security zone (IEC 62443)",
}
_YES_NO = {"true": "Yes", "false": "No"}
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "state": _STATE_LABELS,
    "hold_reason": dict(HoldReason.choices),
    "source": dict(Source.choices),
    "major_incident": _YES_NO,
    "status": dict(CIStatus.choices),
    "criticality": dict(Criticality.choices),
    "validation_status": dict(ValidationStatus.choices),
    "gxp_relevant": _YES_NO,
    "part11_applicable": _YES_NO,
}


@register.filter
def localdt(value: datetime | None) -> str:
    """'2026-11-25 14:03 CET': the active (user's) zone, always named; an IANA name where no abbreviation exists."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    abbreviation = local.strftime("%Z")
    if not abbreviation.isalpha():
        abbreviation = str(timezone.get_current_timezone_name())
    return f"{local:%Y-%m-%d %H:%M} {abbreviation}"


@register.simple_tag
def priority_badge(priority: int) -> SafeString:
    name = _PRIORITY_NAMES.get(priority, "")
    return format_html('<span class="badge prio prio-{0}" title="Priority {0}: {1}">P{0} {1}</span>', priority, name)


@register.simple_tag
def state_badge(state: str) -> SafeString:
    return format_html('<span class="badge state state-{}">{}</span>', state, _STATE_LABELS.get(state, state))


@register.filter
def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@register.simple_tag
def audit_value(field: str, value: str) -> str:
    if field == "priority" and value.isdigit():
        return f"P{value} {_PRIORITY_NAMES.get(int(value), '')}".strip()
    return _VALUE_LABELS.get(field, {}).get(value, value)


@register.filter
def business_time(microseconds: int) -> str:
    """A clock's remaining (or overdue) working time as people say it: '2 h 15 min', '3 d 4 h', '40 s'."""
    seconds = abs(int(microseconds)) // 1_000_000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else f"{seconds} s"
