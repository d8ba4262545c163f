"""The requester portal: my incidents, raise an incident, public journal, comment, reopen or accept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.core.journal import journal_for
from plantdesk.incidents import queries, tables
from plantdesk.incidents.choices import OPEN_STATES, State
from plantdesk.incidents.forms import CommentForm, IncidentCreateForm, TransitionForm
from plantdesk.incidents.models import RECORD_TYPE, Incident
from plantdesk.incidents.views import (
    error_messages,
    labels,
    run_comment,
    run_create,
    run_transition,
    transition_actions,
    visible_or_404,
)
from plantdesk.ui.activity import activity
from plantdesk.ui.htmx import is_htmx, redirect_after_post, signed_in_user
from plantdesk.ui.panels import render_panels
from plantdesk.ui.zones import use_zone_of


def portal_url(incident: Incident) -> str:
    return reverse("ui:portal-detail", args=[incident.number])


# A card is tall: a page of them should fit a screen or two, not scroll for 3,600 px.
PORTAL_PAGE_SIZE = 10


@require_GET
@login_required
def my_incidents(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    mine = queries.filter_incidents(queries.visible_incidents(user), queries.IncidentFilters(caller=user.username))
    show = "closed" if request.GET.get("show") == "closed" else "open"
    if show == "open":
        mine = mine.filter(state__in=[*OPEN_STATES, State.RESOLVED])
    else:
        mine = mine.filter(state__in=[State.CLOSED, State.CANCELED])
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    page = tables.paginate(mine.order_by("-opened_at", "-id"), page_number, size=PORTAL_PAGE_SIZE)
    return render(request, "portal/list.html", {"page": page, "show": show})


@require_http_methods(["GET", "POST"])
@login_required
def raise_incident(request: HttpRequest) -> HttpResponse:
    form = IncidentCreateForm(request.POST or None)
    status: int | None = 200
    if request.method == "POST":
        incident, status = run_create(request, form)
        if incident is not None:
            messages.success(
                request, _("Thank you. Your incident %(number)s has been raised.") % {"number": incident.number}
            )
            return redirect_after_post(request, portal_url(incident))
    panels = render_panels("portal_incident_form", request, signed_in_user(request), None)
    return render(request, "portal/new.html", {"form": form, "panels": panels}, status=status or 400)


def _context(
    request: HttpRequest,
    incident: Incident,
    *,
    comment_form: CommentForm | None = None,
    failed_transition: TransitionForm | None = None,
) -> dict[str, Any]:
    user = signed_in_user(request)
    use_zone_of(incident.site)
    return {
        "incident": incident,
        "labels": labels(incident),
        # Public entries only, even for an agent looking at the portal: it is the caller's view.
        "activity": activity(
            list(journal_for(RECORD_TYPE, incident.pk, include_internal=False)), None, with_internal=False
        ),
        "comment_form": comment_form or CommentForm(),
        "can_comment": incident.state not in (State.CLOSED, State.CANCELED),
        "actions": transition_actions(incident, user, failed_transition) if incident.caller_id == user.pk else [],
    }


@require_GET
@login_required
def detail(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    return render(request, "portal/detail.html", _context(request, incident))


def _failed(request: HttpRequest, incident: Incident, partial: str, status: int, **forms_: Any) -> HttpResponse:
    if is_htmx(request):
        form = next(iter(forms_.values()))
        extra: dict[str, Any] = {"form": form, "incident": incident, "portal": True}
        if isinstance(form, TransitionForm):
            extra["action"] = next(
                (a for a in transition_actions(incident, signed_in_user(request)) if a["to"] == form.data.get("to")), {}
            )
        return render(request, partial, extra, status=status)
    return render(request, "portal/detail.html", _context(request, incident, **forms_), status=status)


@require_POST
@login_required
def comment(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    form, status = run_comment(request, incident)
    if status is None:
        messages.success(request, _("Your comment was added."))
        return redirect_after_post(request, portal_url(incident))
    return _failed(request, incident, "incidents/_comment_form.html", status, comment_form=form)


@require_POST
@login_required
def transition(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    form, status = run_transition(request, incident)
    if status is None:
        done = {
            State.IN_PROGRESS: _("%(number)s reopened."),
            State.CLOSED: _("%(number)s closed."),
            State.CANCELED: _("%(number)s withdrawn."),
        }
        message = done.get(form.cleaned_data["to"], _("%(number)s updated."))
        messages.success(request, message % {"number": incident.number})
        return redirect_after_post(request, portal_url(incident))
    if status == 409 or form.data.get("to") != State.CANCELED:
        for error in error_messages(form):
            messages.error(request, error)
        return redirect_after_post(request, portal_url(incident))
    return _failed(request, incident, "incidents/_transition_form.html", status, failed_transition=form)
