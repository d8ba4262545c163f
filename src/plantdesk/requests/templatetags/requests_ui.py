"""Template filters of the request pages: an approval step's code in words."""

from __future__ import annotations

from django import template

from plantdesk.requests.shown import step_label

register = template.Library()
register.filter("approval_step", step_label)
