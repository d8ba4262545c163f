"""The desk's noise tools from the console: silences (a form prefilled from an alert, the active ones with
"expire now") and putting a CI in maintenance."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.events import actions
from plantdesk.events.forms import MaintenanceForm, SilenceForm
from plantdesk.events.models import Alert, MaintenanceWindow, Silence
from plantdesk.ui.htmx import fulfiller_required, redirect_after_post, run_form_action, signed_in_user, to_portal

LIST_LIMIT = 200


def active_silences(user: User) -> list[Silence]:
    now = timezone.now()
    rows = restrict(user, "view", Silence).filter(ends_at__gt=now, expired_early_at__isnull=True)
    return list(rows.select_related("created_by").order_by("ends_at", "id")[:LIST_LIMIT])


def _alert_from_query(user: User, raw: str | None) -> Alert | None:
    if not raw or not raw.isdigit():
        return None
    return restrict(user, "view", Alert).filter(pk=int(raw)).first()


@require_http_methods(["GET"])
@fulfiller_required(to_portal)
def silences(request: HttpRequest) -> HttpResponse:
    return render(request, "events/silences.html", {"silences": active_silences(signed_in_user(request))})


@require_http_methods(["GET", "POST"])
@fulfiller_required(to_portal)
def silence_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    alert = _alert_from_query(user, request.GET.get("alert"))
    if request.method == "GET":
        form = SilenceForm(initial=SilenceForm.initial_for(alert), user=user)
        return render(request, "events/silence_form.html", {"form": form, "alert": alert})
    form = SilenceForm(request.POST, user=user)
    silence, status = run_form_action(form, lambda: actions.do_create_silence(form.action_data(), actor=user))
    if silence is None:
        return render(request, "events/silence_form.html", {"form": form, "alert": alert}, status=status or 400)
    messages.success(request, f"Silenced until {timezone.localtime(silence.ends_at):%Y-%m-%d %H:%M %Z}.")
    return redirect_after_post(request, reverse("ui:events:silences"))


@require_POST
@fulfiller_required(to_portal)
def silence_expire(request: HttpRequest, silence_id: int) -> HttpResponse:
    user = signed_in_user(request)
    silence = restrict(user, "change", Silence).filter(pk=silence_id).first()
    if silence is None:
        raise Http404(f"No silence {silence_id} that you can end.")
    actions.do_expire_silence(silence, actor=user)
    messages.success(request, "The silence has ended: matching alerts open incidents again.")
    return redirect_after_post(request, reverse("ui:events:silences"))


def _maintenance_page(request: HttpRequest, form: MaintenanceForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    windows = restrict(signed_in_user(request), "view", MaintenanceWindow).filter(ends_at__gt=now)
    context = {"form": form, "windows": windows.select_related("ci", "created_by").order_by("ends_at")[:LIST_LIMIT]}
    return render(request, "events/maintenance.html", context, status=status)


@require_http_methods(["GET", "POST"])
@fulfiller_required(to_portal)
def maintenance(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        return _maintenance_page(request, MaintenanceForm(initial={"ci": request.GET.get("ci", "")[:255],
                                                                   "duration": "240"}))  # fmt: skip
    form = MaintenanceForm(request.POST)
    window, status = run_form_action(form, lambda: actions.do_create_maintenance_window(form.action_data(), actor=user))
    if window is None:
        return _maintenance_page(request, form, status=status or 400)
    until = f"{timezone.localtime(window.ends_at):%Y-%m-%d %H:%M %Z}"
    messages.success(request, f"{window.ci.name} is in maintenance until {until}: alerts, no incidents.")
    return redirect_after_post(request, reverse("ui:events:maintenance"))
