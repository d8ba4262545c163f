"""Service-level pages: schedules (agents read, administrators edit, with a preview of the next working
periods) and the attainment report. Thin: forms shape input, `slas.actions` validates and writes."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.accounts.choices import Role
from plantdesk.cmdb.models import ConfigurationItem
from plantdesk.core.errors import DomainError, FieldError, InvalidInput
from plantdesk.slas import actions, report
from plantdesk.slas.chart import attainment_chart
from plantdesk.slas.forms import ScheduleForm, line_names
from plantdesk.slas.models import LocationSchedule, Schedule
from plantdesk.slas.schedules import calendar_for, parse_schedule
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, signed_in_user

PREVIEW_PERIODS = 10


@require_GET
@fulfiller_required(agents_only)
def schedule_list(request: HttpRequest) -> HttpResponse:
    schedules = list(Schedule.objects.order_by("name"))
    sites: dict[int, list[str]] = {}
    for location in LocationSchedule.objects.filter(site__isnull=False).select_related("site"):
        assert location.site is not None
        sites.setdefault(location.schedule_id, []).append(location.site.code)
    rows = [(s, sorted(sites.get(s.pk, []))) for s in schedules]
    return render(
        request, "slas/schedule_list.html", {"rows": rows, "is_admin": signed_in_user(request).role == Role.ADMIN}
    )


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def schedule_edit(request: HttpRequest, name: str | None = None) -> HttpResponse:
    schedule = _schedule_or_404(name) if name else None
    user = signed_in_user(request)
    if request.method == "GET":
        form = ScheduleForm(initial=ScheduleForm.initial_for(schedule) if schedule else {"time_zone": "Europe/Berlin"})
        return _render_form(request, form, schedule)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _render_form(request, form, schedule, status=400)
    try:
        data = form.action_data()
        lines = _lines(form.cleaned_data["lines"])  # checked before anything is written
        if schedule is None:
            saved = actions.do_create_schedule(data, actor=user)
        else:
            saved = actions.do_update_schedule(schedule, data, actor=user)
        actions.do_set_schedule_locations(saved, sites=list(form.cleaned_data["sites"]), lines=lines, actor=user)
    except DomainError as error:
        form.add_action_error(error)
        return _render_form(request, form, schedule, status=error.status)
    return redirect_after_post(request, reverse("ui:slas:schedule", args=[saved.name]))


@require_POST
@fulfiller_required(agents_only)
def schedule_preview(request: HttpRequest) -> HttpResponse:
    """The next working periods of the hours being typed, before anything is saved."""
    form = ScheduleForm(request.POST)
    periods: list[tuple[datetime, datetime]] = []
    if form.is_valid():
        errors: list[FieldError] = []
        values = parse_schedule(form.action_data() | {"name": "draft"}, errors)
        if errors:
            form.add_action_error(InvalidInput.for_fields(errors))
        else:
            draft = Schedule(**{k: v for k, v in values.items() if k != "name"})
            periods = calendar_for(draft).periods(timezone.now(), PREVIEW_PERIODS)
    return render(request, "slas/_preview.html", {"periods": periods, "form": form})


def _lines(text: str) -> list[ConfigurationItem]:
    names = line_names(text)
    lines = list(ConfigurationItem.objects.filter(name__in=names).select_related("ci_class"))
    unknown = sorted(set(names) - {ci.name for ci in lines})
    if unknown:
        raise InvalidInput.for_field("lines", f"Unknown CI: {', '.join(unknown)}.")
    not_lines = sorted(ci.name for ci in lines if ci.ci_class.name != "line")
    if not_lines:
        raise InvalidInput.for_field("lines", f"Not a line: {', '.join(not_lines)}.")
    return lines


def _render_form(
    request: HttpRequest, form: ScheduleForm, schedule: Schedule | None, status: int = 200
) -> HttpResponse:
    periods = calendar_for(schedule).periods(timezone.now(), PREVIEW_PERIODS) if schedule else []
    context = {
        "form": form,
        "schedule": schedule,
        "periods": periods,
        "is_admin": signed_in_user(request).role == Role.ADMIN,
    }
    return render(request, "slas/schedule_form.html", context, status=status)


def _schedule_or_404(name: str) -> Schedule:
    schedule = Schedule.objects.filter(name=name).first()
    if schedule is None:
        raise Http404(f"Schedule {name} not found.")
    return schedule


# -- attainment ---------------------------------------------------------------------------------


class ReportForm(forms.Form):
    start = forms.DateField(
        label=_("Start"), required=False, widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m"]
    )
    end = forms.DateField(
        label=_("End"), required=False, widget=forms.DateInput(attrs={"type": "month"}), input_formats=["%Y-%m"]
    )
    by = forms.ChoiceField(
        label=_("By"),
        choices=[("assignment_group", _("Group")), ("priority", _("Priority")), ("site", _("Site"))],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("SLAs and OLAs")), ("sla", _("SLAs")), ("ola", _("OLAs"))], required=False
    )


@require_GET
@fulfiller_required(agents_only)
def attainment(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.GET or None)
    now = timezone.now()
    start = datetime(now.year, 1, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    by, kind = "assignment_group", None
    if form.is_valid() and any(
        d and not 1990 <= d.year <= 2100 for d in (form.cleaned_data.get("start"), form.cleaned_data.get("end"))
    ):
        form.add_error(None, _("Months from 1990 to 2100."))
    if form.is_valid():
        data = form.cleaned_data
        if data.get("start"):
            start = datetime(data["start"].year, data["start"].month, 1, tzinfo=UTC)
        if data.get("end"):
            last = data["end"]
            end = datetime(last.year + (last.month == 12), last.month % 12 + 1, 1, tzinfo=UTC)
        by, kind = data.get("by") or by, data.get("kind") or None
    rows = (
        report.attainment(start, end, by, kind, user=signed_in_user(request))
        if form.is_valid() or not form.is_bound
        else []
    )
    months = sorted({r.month for r in rows})
    keys = sorted({r.key for r in rows})
    cells = {(r.key, r.month): r for r in rows}
    table = [(key, [cells.get((key, m)) for m in months]) for key in keys]
    context = {
        "form": form, "months": months, "table": table, "chart": attainment_chart(report.totals_by_key(rows)),
        "start": start,
        "end": end, "by_label": dict(ReportForm.base_fields["by"].choices)[by],  # type: ignore[attr-defined]
    }  # fmt: skip
    return render(request, "slas/attainment.html", context, status=200 if form.is_valid() or not form.is_bound else 400)
