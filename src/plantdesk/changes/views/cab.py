"""The CAB agenda: changes awaiting authorisation that start in a date range, with every approval, so that
members decide in turn at the meeting (DOMAIN.md section 3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from plantdesk.changes import queries
from plantdesk.changes.choices import State
from plantdesk.changes.forms import DecisionForm
from plantdesk.changes.models import Approval
from plantdesk.ui.date_inputs import LocalDateField
from plantdesk.ui.htmx import agents_only, fulfiller_required, signed_in_user

DEFAULT_DAYS = 14


class AgendaRangeForm(forms.Form):
    """The agenda's range, typed in the reader's date style ("from" is a Python keyword: fields set below)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = LocalDateField(label=_("From"), required=False)
        self.fields["to"] = LocalDateField(label=_("To"), required=False)


def _day(value: date | None, default: date) -> date:
    """Within 2000-2099 (the planning horizon); anything else is the default."""
    day = value or default
    return day if date(2000, 1, 1) <= day <= date(2099, 12, 31) else default


@require_GET
@fulfiller_required(agents_only)
def cab_agenda(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    today = timezone.localdate()
    range_form = AgendaRangeForm(request.GET)
    chosen = range_form.cleaned_data if range_form.is_valid() else {}
    start = _day(chosen.get("from"), today)
    end = _day(chosen.get("to"), start + timedelta(days=DEFAULT_DAYS))
    zone = timezone.get_current_timezone()
    lo = datetime.combine(start, time.min, tzinfo=zone)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    approvals = Approval.objects.select_related("group", "approver", "signature").order_by("level", "id")
    qs = (
        queries.visible_changes(user)
        .filter(state=State.AUTHORIZE, planned_start__gte=lo, planned_start__lt=hi)
        .order_by("planned_start", "number")
    )
    changes = list(queries.with_related(qs).prefetch_related(Prefetch("approvals", queryset=approvals)))
    for change in changes:
        current = max((a.round for a in change.approvals.all()), default=0)
        change.agenda_approvals = [a for a in change.approvals.all() if a.round == current]  # type: ignore[attr-defined]
    if not request.GET.get("from") and not request.GET.get("to"):
        range_form = AgendaRangeForm(initial={"from": start, "to": end})
    context = {"changes": changes, "from": start, "to": end, "decision_form": DecisionForm(), "me": user,
               "range_form": range_form}  # fmt: skip
    return render(request, "changes/cab.html", context)
