"""What the incident page offers for problems: link the incident to a problem, create one from it.

The incident page knows nothing of problems (incidents sit below problems): this app registers the
"problem" panel for it (registrations.py) and answers the panel's forms here. A form posted by htmx that
fails gets the panel back with the error next to the picker; a plain post gets the whole incident page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from plantdesk.accounts.models import User
from plantdesk.core.errors import DomainError
from plantdesk.incidents import queries as incident_queries
from plantdesk.incidents import views as incident_views
from plantdesk.incidents.models import Incident
from plantdesk.problems import actions, queries
from plantdesk.problems.choices import OPEN_STATES
from plantdesk.problems.models import KnownError, Problem, ProblemIncident
from plantdesk.ui.htmx import (
    add_domain_error,
    agents_only,
    fulfiller_required,
    is_htmx,
    redirect_after_post,
    signed_in_user,
)
from plantdesk.ui.suggest import render_suggestions, typed_or_none
from plantdesk.ui.widgets import TypeaheadInput

PANEL_TEMPLATE = "problems/panels/incident_problem.html"
SUGGEST_LIMIT = 15
MATCH_LIMIT = 5
# Set on the incident by a failed plain post, so that the panel shows the form with its errors.
FAILED_FORM = "_problem_link_form"


class LinkForm(forms.Form):
    problem = forms.CharField(
        label=gettext_lazy("Problem"),
        required=False,
        # Not the form's outerHTML swap (htmx inherits it): the options go into the listbox.
        widget=TypeaheadInput(
            reverse_lazy("ui:problems:suggest"), attrs={"placeholder": "PRB…", "hx-swap": "innerHTML"}
        ),
        help_text=gettext_lazy("Type a problem number or words of its short description."),
    )

    def form_field_for(self, name: str) -> str | None:
        # The action names the incidents it refuses ("already linked elsewhere"); here that is the picker.
        return "problem" if name in ("incidents", "problem") else None


def problem_url(number: str) -> str:
    # The problem page (problems/views.py) names itself `ui:problems:detail` once it exists.
    try:
        return reverse("ui:problems:detail", args=[number])
    except NoReverseMatch:  # until the page lands; its path is fixed by the URL conf
        return f"/problems/{number}/"


def matching_known_errors(user: User, incident: Incident) -> list[KnownError]:
    """Known errors of open problems that may explain the incident: those on its CI first (newest first),
    then the full-text matches of its short description, best first."""
    from plantdesk.problems.known_error_search import search_known_errors

    on_ci = search_known_errors(user, "", ci=incident.ci, limit=MATCH_LIMIT) if incident.ci_id else []
    by_text = search_known_errors(user, incident.short_description, limit=MATCH_LIMIT, any_word=True)
    found: dict[int, KnownError] = {}
    for hit in [*on_ci, *by_text]:
        if hit.known_error.problem.state in OPEN_STATES:
            found.setdefault(hit.known_error.pk, hit.known_error)
    return list(found.values())[:MATCH_LIMIT]


def incident_problem_panel(user: User, incident: Incident) -> dict[str, Any]:
    """Agents only: requesters never see problems (their portal shows the posted workaround comment)."""
    if not user.is_fulfiller:
        return {"show": False}
    link = ProblemIncident.objects.filter(incident=incident).select_related("problem").first()
    context: dict[str, Any] = {"show": True, "incident": incident, "open": incident.is_open}
    failed = getattr(incident, FAILED_FORM, None)
    if link is not None and failed is None:  # a refused link shows the picker with why, e.g. "linked to PRB..."
        problem = queries.visible_problems(user).filter(pk=link.problem_id).first()
        known = KnownError.objects.filter(problem_id=link.problem_id, published=True).first()
        context.update(
            linked_number=link.problem.number,
            problem=problem,
            problem_url=problem_url(link.problem.number) if problem is not None else None,
            linked_state=link.problem.state,
            workaround=known.published_workaround.strip() if known is not None and problem is not None else "",
        )
        return context
    matches = matching_known_errors(user, incident)
    context.update(
        form=failed or LinkForm(auto_id="problem_%s"),
        matches=[{"known": k, "url": problem_url(k.problem.number)} for k in matches],
    )
    return context


def _incident_or_404(user: User, number: str) -> Incident:
    incident = incident_queries.get_visible(user, number)
    if incident is None:
        raise Http404(f"Incident {number} not found.")
    return incident


def _failed(request: HttpRequest, incident: Incident, form: LinkForm, status: int) -> HttpResponse:
    """The error next to the picker: htmx swaps the panel; a plain post renders the incident page."""
    user = signed_in_user(request)
    setattr(incident, FAILED_FORM, form)
    if is_htmx(request):
        context = {"record": incident, **incident_problem_panel(user, incident)}
        return render(request, PANEL_TEMPLATE, context, status=status)
    context = incident_views.detail_context(request, incident)
    return render(request, "incidents/detail.html", context, status=status)


@require_POST
@fulfiller_required(agents_only)
def link(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    incident = _incident_or_404(user, number)
    form = LinkForm(request.POST, auto_id="problem_%s")
    form.is_valid()
    typed = (form.cleaned_data.get("problem") or "").strip().split(" ", 1)[0].upper()
    problem = queries.get_visible(user, typed) if typed else None
    if problem is None:
        message = _("Pick a problem.") if not typed else _("Unknown problem %(number)s.") % {"number": typed}
        form.add_error("problem", message)
        return _failed(request, incident, form, 400)
    try:
        actions.do_link_incidents(problem, [incident.number], actor=user)
    except DomainError as error:
        add_domain_error(form, error)
        return _failed(request, incident, form, error.status)
    messages.success(request, _("%(incident)s linked to %(problem)s.") % {"incident": incident.number,
                                                                          "problem": problem.number})  # fmt: skip
    return redirect_after_post(request, incident_views.detail_url(incident))


@require_POST
@fulfiller_required(agents_only)
def unlink(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    incident = _incident_or_404(user, number)
    link_row = ProblemIncident.objects.filter(incident=incident).select_related("problem").first()
    if link_row is None:
        messages.info(request, _("%(incident)s is not linked to a problem.") % {"incident": incident.number})
        return redirect_after_post(request, incident_views.detail_url(incident))
    try:
        actions.do_unlink_incident(link_row.problem, incident.number, actor=user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("%(incident)s unlinked from %(problem)s.") % {
            "incident": incident.number, "problem": link_row.problem.number})  # fmt: skip
    return redirect_after_post(request, incident_views.detail_url(incident))


@require_POST
@fulfiller_required(agents_only)
def create_from_incident(request: HttpRequest, number: str) -> HttpResponse:
    """A new problem carrying the incident's CI, category and text, the incident linked; then its page."""
    user = signed_in_user(request)
    incident = _incident_or_404(user, number)
    try:
        problem = actions.do_create_problem_from_incidents([incident.number], actor=user)
    except DomainError as error:
        form = LinkForm(auto_id="problem_%s")
        add_domain_error(form, error)
        return _failed(request, incident, form, error.status)
    messages.success(request, _("%(problem)s created from %(incident)s.") % {"problem": problem.number,
                                                                             "incident": incident.number})  # fmt: skip
    return redirect_after_post(request, problem_url(problem.number))


@require_GET
@fulfiller_required(agents_only)
def suggest(request: HttpRequest) -> HttpResponse:
    """The problem picker's options: open problems the agent may see, by number or short description."""
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    return render_suggestions(request, suggest_problems(signed_in_user(request), typed))


def suggest_problems(user: User, typed: str) -> list[tuple[str, str]]:
    open_ones = queries.visible_problems(user).filter(state__in=list(OPEN_STATES))
    term = typed.strip()
    found = open_ones.filter(Q(number__istartswith=term) | Q(short_description__icontains=term))
    rows: list[Problem] = list(found.order_by("-opened_at").only("number", "short_description")[:SUGGEST_LIMIT])
    return [(p.number, p.short_description) for p in rows]


urlpatterns: list[URLPattern] = [
    path("suggest/", suggest, name="suggest"),
    path("incidents/<str:number>/link/", link, name="link-incident"),
    path("incidents/<str:number>/unlink/", unlink, name="unlink-incident"),
    path("incidents/<str:number>/create/", create_from_incident, name="create-from-incident"),
]
