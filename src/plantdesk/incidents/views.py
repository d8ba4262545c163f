"""The agent UI for incidents: queue, detail, create, edit, transitions and the journal.

Thin like the API: parse with a form, read through queries, write through one action, and put the
action's DomainError messages next to the form fields (400/409 with the form re-rendered).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.accounts.models import User
from plantdesk.cmdb import queries as cmdb_queries
from plantdesk.cmdb.impact import impact
from plantdesk.core.choices import active_options
from plantdesk.core.history import history_for
from plantdesk.core.journal import communications_for, journal_for
from plantdesk.incidents import actions, queries, tables, transitions
from plantdesk.incidents.choices import CATEGORY_SET, RESOLUTION_CODE_SET, State
from plantdesk.incidents.forms import (
    AgentCreateForm,
    CommentForm,
    CommunicationForm,
    IncidentCreateForm,
    IncidentEditForm,
    QueueFilterForm,
)
from plantdesk.incidents.forms import TransitionForm as TransitionFormClass
from plantdesk.incidents.models import RECORD_TYPE, Incident
from plantdesk.slas.clocks import clocks_of
from plantdesk.ui import columns
from plantdesk.ui.activity import activity
from plantdesk.ui.htmx import (
    fulfiller_required,
    is_htmx,
    redirect_after_post,
    run_form_action,
    signed_in_user,
    vary_on_htmx,
)
from plantdesk.ui.panels import render_panels
from plantdesk.ui.zones import use_zone_of


def _to_portal(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    number = kwargs.get("number")
    url = reverse("ui:portal-detail", args=[number]) if number else reverse("ui:portal")
    return HttpResponseRedirect(url)


def visible_or_404(user: User, number: str) -> Incident:
    incident = queries.get_visible(user, number)
    if incident is None:
        raise Http404(f"Incident {number} not found.")
    return incident


def detail_url(incident: Incident) -> str:
    return reverse("ui:incidents:detail", args=[incident.number])


# -- queue ---------------------------------------------------------------------------------------


WORK_VIEWS = ("my_work", "unassigned", "my_groups")


@require_GET
@fulfiller_required(_to_portal)
def queue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = QueueFilterForm(request.GET)
    status = 200
    page: tables.Page | None = None
    if form.is_valid():
        data = form.cleaned_data
        qs = tables.view_queryset(user, data["view"] or "all_open")
        qs = queries.filter_incidents(qs, tables.filters_from(data))
        page = tables.paginate(tables.sorted_queryset(qs, data["sort"] or tables.DEFAULT_SORT), data["page"] or 1)
    else:
        status = 400
    # Filters and paging swap only the results; view tabs and sorting swap the whole queue (hx-select).
    partial = is_htmx(request) and request.headers.get("HX-Target") == "queue-results"
    context = {
        "form": form,
        "page": page,
        "candidates": [] if partial else queries.major_incident_candidates(user),
        "views": QueueFilterForm.VIEWS,
        "current_view": form.cleaned_data.get("view") or "all_open" if form.is_bound else "all_open",
        "sort": (form.cleaned_data.get("sort") if page else None) or tables.DEFAULT_SORT,
        "now": timezone.now(),
        "columns": columns.chosen_columns(user, tables.QUEUE_COLUMNS),
        "column_choice": columns.column_choice(tables.QUEUE_COLUMNS),
    }
    # Work beside the incidents (the requests app: fulfilment tasks of my groups), on the work views only.
    if not partial and context["current_view"] in WORK_VIEWS:
        context["panels"] = render_panels("incident_queue", request, user, context["current_view"])
    template = "incidents/_queue_results.html" if partial else "incidents/queue.html"
    return vary_on_htmx(render(request, template, context, status=status))


# -- create --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@fulfiller_required(lambda request: HttpResponseRedirect(reverse("ui:portal-new")))
def create(request: HttpRequest) -> HttpResponse:
    form = AgentCreateForm(request.POST or None)
    status: int | None = 200
    if request.method == "POST":
        incident, status = run_create(request, form)
        if incident is not None:
            messages.success(request, _("%(number)s created.") % {"number": incident.number})
            return redirect_after_post(request, detail_url(incident))
    panels = render_panels("incident_form", request, signed_in_user(request), None)
    return render(request, "incidents/create.html", {"form": form, "panels": panels}, status=status or 400)


def run_create(request: HttpRequest, form: AgentCreateForm | IncidentCreateForm) -> tuple[Incident | None, int | None]:
    """Shared by the agent create form and the portal's "raise an incident"."""
    return run_form_action(form, lambda: actions.do_create_incident(form.action_data(), actor=signed_in_user(request)))


# -- detail --------------------------------------------------------------------------------------


def transition_label(current: str, to: str, *, fulfiller: bool) -> str:
    if to == State.IN_PROGRESS:
        if current == State.RESOLVED:
            return _("Reopen")
        return _("Resume work") if current == State.ON_HOLD else _("Start work")
    if to == State.CLOSED:
        return _("Close") if fulfiller else _("Accept resolution")
    if to == State.CANCELED:
        return _("Cancel incident") if fulfiller else _("Withdraw")
    names: dict[str, str] = {State.ON_HOLD: _("Put on hold"), State.RESOLVED: _("Resolve")}
    return names.get(to, to)


def transition_actions(
    incident: Incident, user: User, failed: TransitionFormClass | None = None
) -> list[dict[str, Any]]:
    """One entry per allowed next state; those with required fields carry the form their dialog shows."""
    result = []
    for to in transitions.allowed_next_states(incident, user):
        required = transitions.REQUIRED_FIELDS.get(to, ())
        form: TransitionFormClass | None = None
        if failed is not None and failed.data.get("to") == to:
            form = failed
        elif required:
            form = TransitionFormClass(initial={"to": to}, required=required, auto_id=f"t_{to}_%s")
        result.append(
            {
                "to": to,
                "label": transition_label(incident.state, to, fulfiller=user.is_fulfiller),
                "form": form,
                "open": form is failed and failed is not None,
                "primary": to in (State.IN_PROGRESS, State.RESOLVED) and incident.state != State.RESOLVED,
            }
        )
    return result


def labels(incident: Incident) -> dict[str, str]:
    category = dict(active_options(CATEGORY_SET)).get(incident.category, incident.category)
    code = dict(active_options(RESOLUTION_CODE_SET)).get(incident.resolution_code, incident.resolution_code)
    return {"category": category, "resolution_code": code}


def detail_context(
    request: HttpRequest,
    incident: Incident,
    *,
    edit_form: IncidentEditForm | None = None,
    comment_form: CommentForm | None = None,
    communication_form: CommunicationForm | None = None,
    failed_transition: TransitionFormClass | None = None,
) -> dict[str, Any]:
    user = signed_in_user(request)
    use_zone_of(incident.site)
    tab = "history" if request.GET.get("tab") == "history" else "activity"
    context: dict[str, Any] = {
        "incident": incident,
        "labels": labels(incident),
        "tab": tab,
        "actions": transition_actions(incident, user, failed_transition),
        "comment_form": comment_form or CommentForm(),
        "can_comment": incident.state not in (State.CLOSED, State.CANCELED),
        "editable": incident.state not in (State.CLOSED, State.CANCELED),
        "edit_form": edit_form or IncidentEditForm(initial=IncidentEditForm.initial_for(incident)),
        "children": queries.children_of(incident, user),
        "communications": list(communications_for(RECORD_TYPE, incident.pk)) if incident.major_incident else [],
        "communication_form": communication_form or CommunicationForm(),
    }
    context["ci_impact"] = ci_impact(user, incident)
    # What other apps show on the page (the events app: the alarms behind an event-opened incident).
    context["panels"] = render_panels("incident_detail", request, user, incident)
    context["sla"] = clocks_of(RECORD_TYPE, [incident.pk])[incident.pk]
    if tab == "history":
        context["history"] = history_for(RECORD_TYPE, incident.pk, include_internal=True)
    else:
        journal = list(journal_for(RECORD_TYPE, incident.pk, include_internal=True))
        context["activity"] = activity(journal, request.GET.get("activity"), with_internal=True)
    return context


def ci_impact(user: User, incident: Incident) -> dict[str, Any] | None:
    """The CMDB's answer for the incident's CI: which lines and business services its failure affects."""
    ci = cmdb_queries.get_visible_ci(user, incident.ci.name) if incident.ci else None
    if ci is None:
        return None
    result = impact(ci, "downstream", depth=8, limit=5000)
    return {"ci": ci, "lines": result.of_class("line"), "services": result.of_class("business_service")}


@require_GET
@fulfiller_required(_to_portal)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    return render(request, "incidents/detail.html", detail_context(request, incident))


def _form_failed(request: HttpRequest, incident: Incident, partial: str, status: int, **forms_: Any) -> HttpResponse:
    """HTMX swaps just the form; a plain post gets the whole page with the form and its errors."""
    if is_htmx(request):
        form = next(iter(forms_.values()))
        context = {"incident": incident, "form": form, **_partial_extra(form, incident, signed_in_user(request))}
        return render(request, partial, context, status=status)
    return render(request, "incidents/detail.html", detail_context(request, incident, **forms_), status=status)


def _partial_extra(form: forms.Form, incident: Incident, user: User) -> dict[str, Any]:
    if isinstance(form, TransitionFormClass):
        to = form.data.get("to", "")
        return {"action": {"to": to, "label": transition_label(incident.state, to, fulfiller=user.is_fulfiller)}}
    return {}


@require_POST
@fulfiller_required(_to_portal)
def update(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    incident = visible_or_404(user, number)
    form = IncidentEditForm(request.POST, initial=IncidentEditForm.initial_for(incident))
    updated, status = run_form_action(
        form,
        lambda: actions.do_update_incident(
            incident, form.action_data(), actor=user, expected_updated_at=form.expected_updated_at()
        ),
    )
    if updated is not None:
        messages.success(request, _("%(number)s saved.") % {"number": incident.number})
        return redirect_after_post(request, detail_url(incident))
    return _form_failed(request, incident, "incidents/_edit_form.html", status or 400, edit_form=form)


def run_transition(request: HttpRequest, incident: Incident) -> tuple[TransitionFormClass, int | None]:
    """Shared by the agent UI and the portal: returns the form and the failure status (None on success)."""
    to = request.POST.get("to", "")
    id_part = to if to in State.values else "unknown"  # never put raw input into a format string
    form = TransitionFormClass(
        request.POST, required=transitions.REQUIRED_FIELDS.get(to, ()), auto_id=f"t_{id_part}_%s"
    )
    _done, status = run_form_action(
        form,
        lambda: actions.do_transition_incident(incident, to, actor=signed_in_user(request), **form.action_kwargs()),
    )
    return form, status


@require_POST
@fulfiller_required(_to_portal)
def transition(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    form, status = run_transition(request, incident)
    if status is None:
        messages.success(request, f"{incident.number}: {_state_label(form.cleaned_data['to'])}.")
        return redirect_after_post(request, detail_url(incident))
    if status == 409 or not transitions.REQUIRED_FIELDS.get(form.data.get("to", "")):
        # No dialog to put the message in (an illegal move, e.g. a stale page): show it at the top.
        for error in error_messages(form):
            messages.error(request, error)
        return redirect_after_post(request, detail_url(incident))
    return _form_failed(request, incident, "incidents/_transition_form.html", status, failed_transition=form)


def error_messages(form: forms.Form) -> list[str]:
    """Every message of a form as text, for a flash message where no field is shown."""
    return [str(message) for errors in form.errors.values() for message in errors]


def _state_label(state: str) -> str:
    return str(dict(State.choices).get(state, state))


def run_comment(request: HttpRequest, incident: Incident) -> tuple[CommentForm, int | None]:
    user = signed_in_user(request)
    form = CommentForm(request.POST)
    if not user.is_fulfiller:
        visibility = form.fields["visibility"]
        assert isinstance(visibility, forms.ChoiceField)
        visibility.choices = [("public", "Public")]
    _done, status = run_form_action(
        form,
        lambda: actions.do_add_comment(
            incident, form.cleaned_data["body"], form.cleaned_data["visibility"], actor=user
        ),
    )
    return form, status


@require_POST
@fulfiller_required(_to_portal)
def comment(request: HttpRequest, number: str) -> HttpResponse:
    incident = visible_or_404(signed_in_user(request), number)
    form, status = run_comment(request, incident)
    if status is None:
        added = (
            _("Work note added to %(number)s.")
            if form.cleaned_data["visibility"] == "internal"
            else _("Comment added to %(number)s.")
        )
        messages.success(request, added % {"number": incident.number})
        return redirect_after_post(request, detail_url(incident))
    return _form_failed(request, incident, "incidents/_comment_form.html", status, comment_form=form)


@require_POST
@fulfiller_required(_to_portal)
def communicate(request: HttpRequest, number: str) -> HttpResponse:
    """Post a status update to a major incident's communication log."""
    incident = visible_or_404(signed_in_user(request), number)
    form = CommunicationForm(request.POST)
    entry, status = run_form_action(
        form, lambda: actions.do_post_communication(incident, form.cleaned_data["body"], actor=signed_in_user(request))
    )
    if entry is not None:
        messages.success(request, _("Status update posted to %(number)s.") % {"number": incident.number})
        return redirect_after_post(request, detail_url(incident))
    return render(
        request, "incidents/detail.html", detail_context(request, incident, communication_form=form),
        status=status or 400,
    )  # fmt: skip
