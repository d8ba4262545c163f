"""The one date and date-time input of every form: a text box in the reader's date style ("24.12.2026 06:00"
or "2026-12-24 06:00", ui.dates), with that style as its hint, so that no browser forces mm/dd/yyyy on a plant.
A typed time is a wall-clock time in the page's active zone (the one its times are shown in) unless the form
names another zone (a maintenance window's own zone) and parses the text itself with `ui.dates`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from plantdesk.ui import dates


class LocalDateTimeInput(forms.TextInput):
    """Shows a value in the reader's style and zone; keeps what was typed when the form comes back with errors."""

    template_name = "django/forms/widgets/text.html"
    kind = "datetime"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", "class": f"date-input date-input-{self.kind}",
                          **(attrs or {})})  # fmt: skip

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        style = dates.current_style()
        hint = style.datetime_hint if self.kind == "datetime" else style.date_hint
        context["widget"]["attrs"].setdefault("placeholder", str(hint))
        return context

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            return dates.format_wall_clock(timezone.localtime(value) if timezone.is_aware(value) else value)
        if isinstance(value, date):
            return dates.format_date(value)
        return super().format_value(value)


class LocalDateInput(LocalDateTimeInput):
    kind = "date"


def format_error(label: str, kind: str = "datetime") -> str:
    """'Planned start: write it as DD.MM.YYYY hh:mm, e.g. 24.12.2026 06:00.': the field and the format."""
    style = dates.current_style()
    if kind == "datetime":
        hint, example = str(style.datetime_hint), dates.datetime_example()
    else:
        hint, example = str(style.date_hint), dates.date_example()
    return _("%(field)s: write it as %(format)s, e.g. %(example)s.") % {
        "field": label,
        "format": hint,
        "example": example,
    }


class LocalDateTimeField(forms.Field):
    """An aware datetime from a time typed in the reader's style, in the active zone."""

    widget = LocalDateTimeInput

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value)
        parsed = dates.parse_datetime(str(value))
        if parsed is None:
            raise ValidationError(format_error(str(self.label or _("Date and time"))), code="invalid")
        return timezone.make_aware(parsed, timezone.get_current_timezone())


class LocalDateField(forms.Field):
    widget = LocalDateInput

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.date() if isinstance(value, datetime) else value
        parsed = dates.parse_date(str(value))
        if parsed is None:
            raise ValidationError(format_error(str(self.label or _("Date")), "date"), code="invalid")
        return parsed


class LocalDateTimeText(forms.CharField):
    """The typed text in the reader's style, for forms that attach a zone of their own (`ui.dates.parse_datetime`);
    refused here already when it is no date and time, so the error names the field and the format."""

    widget = LocalDateTimeInput

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and dates.parse_datetime(value) is None:
            raise ValidationError(format_error(str(self.label or _("Date and time"))), code="invalid")
