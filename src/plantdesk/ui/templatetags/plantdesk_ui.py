"""Template helpers: badges, times with their zone named, and readable audit values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from plantdesk.core.choices import Priority
from plantdesk.ui import labels, readable, times

register = template.Library()


def _priority_name(priority: int) -> str:
    """'Critical' from '1 - Critical', in the reader's language (so looked up per call, not at import)."""
    try:
        return str(Priority(priority).label).split(" - ", 1)[-1]
    except ValueError:
        return ""


@register.filter
def localdt(value: datetime | None) -> str:
    """'24.12.2026 06:00 CET' or '2026-12-24 06:00 CET': the reader's date style, the page's zone, always
    named; an IANA name where no abbreviation exists."""
    return "" if value is None or value == "" else times.local_datetime(value)


@register.filter
def localdate(value: date | None) -> str:
    """A date alone in the reader's style ('24.12.2026', '2026-12-24')."""
    return "" if value is None or value == "" else times.local_date(value)


@register.simple_tag
def readable_history(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`{% readable_history history as rows %}`: each entry with its labels beside the stored values."""
    return readable.readable_history(entries)


@register.simple_tag
def priority_badge(priority: int) -> SafeString:
    name = _priority_name(priority)
    title = _("Priority %(number)s: %(name)s") % {"number": priority, "name": name}
    return format_html('<span class="badge prio prio-{0}" title="{1}">P{0} {2}</span>', priority, title, name)


@register.simple_tag
def state_badge(state: str, record_type: str) -> SafeString:
    """`{% state_badge incident.state "incident" %}`: the state's label in its record type's words."""
    return format_html('<span class="badge state state-{}">{}</span>', state, labels.state_label(record_type, state))


@register.simple_tag
def state_name(state: str, record_type: str) -> str:
    """`Move to {% state_name to "change" %}`: a state in words where a badge would not fit (buttons, text)."""
    return labels.state_label(record_type, state)


@register.filter
def field_label(name: str) -> str:
    return labels.field_label(name)


@register.filter
def business_time(microseconds: int) -> str:
    """A clock's remaining (or overdue) working time as people say it: '2 h 15 min', '3 d 4 h', '40 s'."""
    seconds = abs(int(microseconds)) // 1_000_000
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    # Translators: abbreviations of day, hour, minute and second ("d" is "T" for Tag in German).
    d, h, m, s = _("d"), _("h"), _("min"), _("s")
    if days:
        return f"{days} {d} {hours} {h}" if hours else f"{days} {d}"
    if hours:
        return f"{hours} {h} {minutes} {m}" if minutes else f"{hours} {h}"
    return f"{minutes} {m}" if minutes else f"{seconds} {s}"


@register.filter(name="readable_times")
def readable_times_filter(text: object) -> str:
    """PlantDesk's own notes and messages name times in ISO; a person reads them in the page's zone. The
    result is escaped on output like any other text (it is a plain str, not marked safe)."""
    return times.readable_times(str(text) if text is not None else "")


@register.filter
def required_widget(field: forms.BoundField, required: bool) -> SafeString:
    """The field's input, with aria-required when it must be filled in: screen readers announce what the
    asterisk shows (the `required` attribute itself comes from Django for fields required in the form)."""
    if not required:
        return field.as_widget()
    return field.as_widget(attrs={"aria-required": "true"})
