"""The desk's noise tools from the console: silences (a form prefilled from an alert, the active ones with
"expire now"); maintenance is on the windows page of change enablement."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.events import actions
from plantdesk.events.forms import SilenceForm
from plantdesk.events.models import Alert, Silence
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, run_form_action, signed_in_user
from plantdesk.ui.times import local_datetime

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
@fulfiller_required(agents_only)
def silences(request: HttpRequest) -> HttpResponse:
    return render(request, "events/silences.html", {"silences": active_silences(signed_in_user(request))})


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
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
    messages.success(request, _("Silenced until %(until)s.") % {"until": local_datetime(silence.ends_at)})
    return redirect_after_post(request, reverse("ui:events:silences"))


@require_POST
@fulfiller_required(agents_only)
def silence_expire(request: HttpRequest, silence_id: int) -> HttpResponse:
    user = signed_in_user(request)
    silence = restrict(user, "change", Silence).filter(pk=silence_id).first()
    if silence is None:
        raise Http404(f"No silence {silence_id} that you can end.")
    actions.do_expire_silence(silence, actor=user)
    messages.success(request, _("The silence has ended: matching alerts open incidents again."))
    return redirect_after_post(request, reverse("ui:events:silences"))


@require_GET
@fulfiller_required(agents_only)
def maintenance(request: HttpRequest) -> HttpResponse:
    """Maintenance windows are change enablement's windows: one page, at /changes/windows/ (the console's
    "Maintenance" button lands on its "Put a CI in maintenance" form, the CI filled in)."""
    query = urlencode(
        {"kind": "maintenance", **({"maintain": request.GET["ci"][:255]} if request.GET.get("ci") else {})}
    )
    return HttpResponseRedirect(f"{reverse('ui:changes:windows')}?{query}#maintenance")
