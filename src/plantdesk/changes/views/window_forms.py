"""Forms of the window and schedule pages. They shape what was typed into the actions' input; the actions
validate it, so the API and the pages refuse the same things with the same words.

Times are typed as wall-clock times in the window's (or the site's) zone, as a plant calendar reads them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import user_site_ids
from plantdesk.changes.choices import RunState, WindowKind
from plantdesk.changes.window_actions import RUN_FIELDS
from plantdesk.changes.window_input import is_time_zone
from plantdesk.cmdb.widgets import CISuggestInput
from plantdesk.ui import dates
from plantdesk.ui.choices import DURATIONS
from plantdesk.ui.date_inputs import LocalDateField, LocalDateTimeText
from plantdesk.ui.widgets import agent_picker

_SPLIT = re.compile(r"[\s,;]+")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
REQUIRED_COLUMNS = ("equipment", "start", "end", "state", "external_id")


def split_names(value: str) -> list[str]:
    return [name for name in _SPLIT.split(value or "") if name]


def visible_sites(user: User) -> list[Site]:
    sites = Site.objects.order_by("code")
    return list(sites if user.is_plantdesk_admin else sites.filter(pk__in=user_site_ids(user)))


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class WindowFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any kind")), *WindowKind.choices])
    site = forms.ChoiceField(label=_("Site"), required=False)
    ci = forms.CharField(required=False, max_length=255, label=_("Applies to CI"),
                         widget=CISuggestInput(attrs={"placeholder": _("e.g. BER-L3-PLC01")}))  # fmt: skip
    show = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("active", _("Active")), ("inactive", _("Deactivated"))]
    )
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=100_000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "site").choices = [
            ("", _("Any site")),
            *((s.code, s.name) for s in Site.objects.order_by("code")),
        ]


class WindowForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=WindowKind.choices, initial=WindowKind.MAINTENANCE)
    name = forms.CharField(label=_("Name"), required=False, max_length=160)
    time_zone = forms.CharField(
        label=_("Time zone"), required=False, max_length=64, help_text=_("IANA zone the times and the rule are in")
    )
    start = LocalDateTimeText(required=False, label=_("Start (first occurrence)"))
    end = LocalDateTimeText(required=False, label=_("End (first occurrence)"))
    rrule = forms.CharField(
        required=False,
        max_length=500,
        label=_("Recurrence (RFC 5545 RRULE)"),
        help_text=_("Empty for a one-off; e.g. FREQ=WEEKLY;BYDAY=SA or FREQ=MONTHLY;BYDAY=1SU;COUNT=12"),
    )
    cis = forms.CharField(
        required=False,
        label=_("CIs"),
        max_length=5000,
        help_text=_("A line, area or site CI covers what it contains"),
        widget=CISuggestInput(multiple=True),
    )
    ci_classes = forms.CharField(
        required=False, label=_("CI classes"), max_length=2000, help_text=_("e.g. plc, hmi: every CI of the class")
    )
    sites = forms.MultipleChoiceField(label=_("Sites"), required=False, widget=forms.CheckboxSelectMultiple)
    run_state = forms.ChoiceField(
        required=False, choices=[("", "—"), *RunState.choices], label=_("Run state (production runs)")
    )
    external_id = forms.CharField(
        required=False, max_length=120, label=_("External id"), help_text=_("e.g. the MES job order")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = Site.objects.order_by("code")
        _choice(self, "sites").choices = [(s.code, f"{s.name} ({s.code})") for s in sites]
        mine = visible_sites(user)
        self.fields["time_zone"].initial = mine[0].time_zone if mine else user.display_time_zone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        zone = (data.get("time_zone") or "").strip()
        if zone and not is_time_zone(zone):
            self.add_error("time_zone", _("An IANA time zone name, e.g. Europe/Berlin."))
        return data

    def _when(self, name: str) -> Any:
        """The typed wall-clock time in the chosen zone; what was typed, if it is not one (the action says why)."""
        raw = (self.cleaned_data.get(name) or "").strip()
        zone = (self.cleaned_data.get("time_zone") or "").strip()
        local = dates.parse_datetime(raw)
        if local is None:
            return raw or None
        return local.replace(tzinfo=zoneinfo.ZoneInfo(zone or "UTC"))

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            "kind": data["kind"], "name": data.get("name") or "", "description": data.get("description") or "",
            "start": self._when("start"), "end": self._when("end"), "rrule": data.get("rrule") or "",
            "cis": split_names(data.get("cis") or ""), "ci_classes": split_names(data.get("ci_classes") or ""),
            "sites": list(data.get("sites") or []), "external_id": data.get("external_id") or "",
        }  # fmt: skip
        if data.get("time_zone"):
            result["time_zone"] = data["time_zone"].strip()
        if data.get("run_state"):
            result["run_state"] = data["run_state"]
        return result


class DeactivateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class RunUploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Columns: equipment,start,end,state,external_id[,name]"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MiB; split it."))
        return upload

    def rows(self) -> tuple[list[dict[str, str]], list[int]]:
        """The data rows (blank lines skipped) and the line number of each in the file."""
        raw = self.cleaned_data["file"].read()
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        reader = csv.DictReader(io.StringIO(content, newline=""))
        columns = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        unknown = [c for c in columns if c not in RUN_FIELDS]
        if missing or unknown:
            problems = ([_("missing column(s) %(names)s") % {"names": ", ".join(missing)}] if missing else []) + (
                [_("unknown column(s) %(names)s") % {"names": ", ".join(unknown)}] if unknown else []
            )
            raise forms.ValidationError(
                _("The header line must name %(columns)s: %(problems)s.")
                % {"columns": ",".join(RUN_FIELDS), "problems": "; ".join(problems)}
            )
        reader.fieldnames = columns
        rows: list[dict[str, str]] = []
        lines: list[int] = []
        try:
            for record in reader:
                values = {k: (v or "").strip() for k, v in record.items() if k is not None}
                if None in record:
                    raise forms.ValidationError(
                        _("Line %(line)s has more values than the header has columns.") % {"line": reader.line_num}
                    )
                if not any(values.values()):
                    continue
                rows.append({k: v for k, v in values.items() if v or k != "name"})
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise forms.ValidationError(
                _("Line %(line)s: not CSV (%(error)s).") % {"line": reader.line_num, "error": exc}
            ) from None
        return rows, lines


VIEWS = [("month", _("Month")), ("week", _("Week"))]


class ScheduleForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"), required=False)
    line = forms.CharField(
        label=_("Line"), required=False, max_length=255, widget=CISuggestInput(attrs={"placeholder": _("e.g. BER-L3")})
    )
    view = forms.ChoiceField(label=_("View"), required=False, choices=VIEWS)
    date = LocalDateField(label=_("Date"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "site").choices = [("", _("All sites")), *((s.code, s.name) for s in visible_sites(user))]

    def clean_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("date")
        if day is not None and not dt.date(2000, 1, 1) <= day <= dt.date(2099, 12, 1):
            raise forms.ValidationError(_("A date between 2000 and 2099."))
        return day


class NextSlotForm(forms.Form):
    cis = forms.CharField(max_length=5000, label=_("CIs"), widget=CISuggestInput(multiple=True))
    duration_minutes = forms.IntegerField(min_value=1, max_value=20160, initial=240, label=_("Duration (minutes)"))
    after = LocalDateTimeText(required=False, label=_("Not before"), help_text=_("Default: now"))
    assignee = forms.CharField(
        label=_("Assignee"),
        required=False,
        max_length=150,
        help_text=_("Their other changes count too"),
        widget=agent_picker(),
    )
    type = forms.ChoiceField(
        label=_("Type"),
        initial="normal",
        choices=[("normal", _("Normal (CAB lead time)")), ("standard", _("Standard")), ("emergency", _("Emergency"))],
    )

    def after_in(self, zone: str) -> datetime | None:
        raw = (self.cleaned_data.get("after") or "").strip()
        if not raw:
            return None
        local = dates.parse_datetime(raw)
        if local is None:
            return None  # refused by the field already, with the format it wants
        return local.replace(tzinfo=zoneinfo.ZoneInfo(zone))


class MaintenanceForm(forms.Form):
    """Put a CI in maintenance from now: its alerts (and those of what it contains) open no incident, and
    changes on it fit this window. Any agent; `window_actions.do_put_in_maintenance` checks the rest."""

    ci = forms.CharField(max_length=255, required=False, label=_("Configuration item"), widget=CISuggestInput(),
                         help_text=_("Name or alias; the CIs it contains are covered too"))  # fmt: skip
    duration = forms.ChoiceField(label=_("Duration"), choices=DURATIONS, initial="240", help_text=_("From now"))
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("e.g. the change or work order behind it"))  # fmt: skip

    def action_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        starts = timezone.now()
        ends = starts + timedelta(minutes=int(data["duration"]))
        return {"ci": data.get("ci") or "", "starts_at": starts, "ends_at": ends, "reason": data.get("reason") or ""}

    def form_field_for(self, name: str) -> str | None:
        return {"ends_at": "duration", "starts_at": "duration"}.get(name, name)
