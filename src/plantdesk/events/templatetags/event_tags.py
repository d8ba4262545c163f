"""Template helpers of the event pages (the incident page's alarms are a panel: events/registrations.py)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from plantdesk.events.forms import SEVERITY_CHOICES

register = template.Library()

# The priority colours: a critical alarm looks like a P1.
_SEVERITY_CLASS = {"critical": "prio-1", "major": "prio-2", "minor": "prio-3", "warning": "prio-4", "info": "prio-5"}


@register.simple_tag
def severity_badge(severity: str) -> SafeString:
    label = dict(SEVERITY_CHOICES).get(severity, severity.capitalize())  # in the reader's language
    return format_html('<span class="badge sev sev-{0} {1}">{2}</span>', severity,
                       _SEVERITY_CLASS.get(severity, "badge-soft"), label)  # fmt: skip
