"""The live alert console: the filtered, paged alert table that refreshes itself (HTMX polls the results
partial with the same query string), and acknowledging an alert from its row."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from plantdesk.accounts.models import User
from plantdesk.accounts.permissions import restrict
from plantdesk.core.errors import DomainError
from plantdesk.core.pagination import Page, paginate
from plantdesk.events import actions
from plantdesk.events.forms import ALL_STATES, AlertFilterForm
from plantdesk.events.models import Alert
from plantdesk.ui.htmx import (
    agents_only,
    fulfiller_required,
    is_htmx,
    redirect_after_post,
    signed_in_user,
    vary_on_htmx,
)

POLL_SECONDS = 5
AREA_CHOICES = 300
RESULTS = "alert-results"


def visible_alerts(user: User) -> QuerySet[Alert]:
    """Everything a row shows, joined in the one query of the page (no query per row)."""
    return restrict(user, "view", Alert).select_related("ci", "site", "incident", "acknowledged_by")


def filter_alerts(qs: QuerySet[Alert], form: AlertFilterForm) -> QuerySet[Alert]:
    data = form.cleaned_data
    if form.state_filter != ALL_STATES:
        qs = qs.filter(state=form.state_filter)
    if data.get("severity"):
        qs = qs.filter(severity=data["severity"])
    if data.get("site"):
        qs = qs.filter(site__code=data["site"])
    if (data.get("area") or "").strip():
        qs = qs.filter(area=data["area"].strip())
    if data.get("unbound"):
        qs = qs.filter(ci__isnull=True)
    return qs


def known_areas(user: User) -> list[str]:
    """Suggestions for the line / area filter: the areas of the alerts the user may see."""
    areas = restrict(user, "view", Alert).exclude(area="").order_by("area").values_list("area", flat=True)
    return list(areas.distinct()[:AREA_CHOICES])


@require_GET
@fulfiller_required(agents_only)
def console(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = AlertFilterForm(request.GET, user=user)
    page: Page[Alert] | None = None
    if form.is_valid():
        qs = filter_alerts(visible_alerts(user), form).order_by("-last_seen", "-id")
        page = paginate(qs, form.cleaned_data.get("page") or 1)
    # The poll asks for this very URL again, so it keeps the filters and the page the agent is on.
    here = request.get_full_path()
    context: dict[str, Any] = {"form": form, "page": page, "here": here, "poll_seconds": POLL_SECONDS}
    status = 200 if page is not None else 400
    if is_htmx(request) and request.headers.get("HX-Target") == RESULTS:
        return vary_on_htmx(render(request, "events/_console_results.html", context, status=status))
    context["areas"] = known_areas(user)
    return vary_on_htmx(render(request, "events/console.html", context, status=status))


def back_to_console(request: HttpRequest) -> str:
    """The console URL the form was posted from (its filters and page), never another site's."""
    wanted = request.POST.get("next", "")
    console_url = reverse("ui:events:console")
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    return wanted if safe and wanted.startswith(console_url) else console_url


@require_POST
@fulfiller_required(agents_only)
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = signed_in_user(request)
    alert = visible_alerts(user).filter(pk=alert_id).first()
    if alert is None:
        raise Http404(f"No alert {alert_id} that you can see.")
    try:
        actions.do_acknowledge_alert(alert, actor=user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("Acknowledged: %(alert)s.") % {"alert": alert.message or alert.dedup_key})
    return redirect_after_post(request, back_to_console(request))
