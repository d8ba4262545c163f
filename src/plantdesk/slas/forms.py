"""The schedule form: hours as people write them on a shift plan ("mon-fri 06:00-14:00", one range a line),
turned into the API form so that the action validates both the same way."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import available_timezones

import holidays
from django import forms
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import Site
from plantdesk.core.errors import DomainError
from plantdesk.slas.models import LocationSchedule, Schedule
from plantdesk.ui import dates

RANGE_LINE = re.compile(r"\s*(?P<days>[a-zA-Z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*")
HOURS_ERROR = re.compile(r"hours\[(\d+)\]")


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, required=False, help_text=_("IANA name, e.g. Europe/Berlin")
    )
    hours = forms.CharField(
        label=_("Hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=_("One range a line: days and times, e.g. mon-fri 06:00-14:00. Split night shifts at 24:00."),
    )
    holiday_country = forms.ChoiceField(required=False, label=_("Public holidays of"))
    holiday_subdivision = forms.CharField(
        required=False, max_length=16, label=_("State / subdivision"), help_text=_("e.g. BE")
    )
    extra_closed_days = forms.CharField(
        label=_("Extra closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lines = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Lines"),
        help_text=_("Line CIs working these hours although their site works others, one name a line."),
    )  # fmt: skip
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=Site.objects.order_by("code"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Sites working these hours (SLA definitions that follow the site's hours use them)."),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["holiday_country"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("None")), *((c, c) for c in sorted(holidays.list_supported_countries()))]
        self.fields["time_zone"].widget.attrs["list"] = "time-zones"
        self.time_zones = sorted(available_timezones())
        # Typed in the reader's date style, like every date input; the action keeps them as ISO dates.
        self.fields["extra_closed_days"].help_text = _("Plant closures, one date a line, e.g. %(example)s.") % {
            "example": dates.date_example()
        }

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        country = data.get("holiday_country") or ""
        return {
            "name": data.get("name") or "",
            "time_zone": (data.get("time_zone") or "").strip(),
            "hours": [_range(line) for line in (data.get("hours") or "").splitlines() if line.strip()],
            "holidays": {"country": country, "subdivision": data.get("holiday_subdivision") or None}
            if country
            else None,
            "extra_closed_days": [_iso_day(d) for d in (data.get("extra_closed_days") or "").splitlines() if d.strip()],
        }

    def add_action_error(self, error: DomainError) -> None:
        """Each FieldError next to its input; an hours problem names the line it is on."""
        if not error.errors:
            self.add_error(None, error.detail)
        for item in error.errors:
            line = HOURS_ERROR.match(item.field)
            if line:
                self.add_error("hours", _("Line %(line)s: %(message)s") % {"line": int(line.group(1)) + 1,
                                                                            "message": item.message})  # fmt: skip
            elif item.field.startswith("holidays."):
                self.add_error("holiday_" + item.field.removeprefix("holidays."), item.message)
            elif item.field.startswith("extra_closed_days"):
                self.add_error("extra_closed_days", item.message)
            else:
                self.add_error(item.field if item.field in self.fields else None, item.message)

    @classmethod
    def initial_for(cls, schedule: Schedule) -> dict[str, Any]:
        return {
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "hours": "\n".join(f"{h['days']} {h['start']}-{h['end']}" for h in schedule.hours),
            "holiday_country": schedule.holiday_country,
            "holiday_subdivision": schedule.holiday_subdivision,
            "extra_closed_days": "\n".join(_shown_day(day) for day in schedule.extra_closed_days),
            "sites": [o.site_id for o in LocationSchedule.objects.filter(schedule=schedule, site__isnull=False)],
            "lines": "\n".join(
                sorted(
                    o.line.name
                    for o in LocationSchedule.objects.filter(schedule=schedule).select_related("line")
                    if o.line
                )
            ),
        }


def _iso_day(typed: str) -> str:
    """A closed day as the action stores it (ISO); what was typed if it is no date (the action says why)."""
    day = dates.parse_date(typed)
    return day.isoformat() if day else typed.strip()


def _shown_day(stored: str) -> str:
    try:
        return dates.format_date(date.fromisoformat(stored))
    except ValueError:
        return stored


def _range(line: str) -> Any:
    """'mon-fri 06:00-14:00' -> the API's {"days", "start", "end"}; anything else is passed on as is, so
    the action refuses it naming the line."""
    match = RANGE_LINE.fullmatch(line)
    if match is None:
        return line.strip()
    start, end = (t if len(t) == 5 else f"0{t}" for t in (match["start"], match["end"]))
    return {"days": match["days"].lower(), "start": start, "end": end}


def line_names(text: str) -> list[str]:
    return [name.strip() for name in (text or "").splitlines() if name.strip()]
