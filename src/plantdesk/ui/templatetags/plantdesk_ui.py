"""Template helpers: badges, times with their zone named, and readable audit values."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plantdesk.core.choices import Priority
from plantdesk.ui import labels

register = template.Library()

_PRIORITY_NAMES = {p.value: p.label.split(" - ", 1)[1] for p in Priority}


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
def state_badge(state: str, record_type: str) -> SafeString:
    """`{% state_badge incident.state "incident" %}`: the state's label in its record type's words."""
    return format_html('<span class="badge state state-{}">{}</span>', state, labels.state_label(record_type, state))


@register.filter
def field_label(name: str) -> str:
    return labels.field_label(name)


@register.simple_tag
def audit_value(field: str, value: str) -> str:
    if field == "priority" and value.isdigit():
        return f"P{value} {_PRIORITY_NAMES.get(int(value), '')}".strip()
    return labels.value_label(field, value)


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
