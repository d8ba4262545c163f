"""The agent UI for problems: list (with candidates), problem page, transitions, links, known error.

Thin like the incident views: parse with a form, read through queries, write through one action, and put
the action's DomainError messages next to the form fields (400 with the form re-rendered); a 409 (a stale
page, a closed problem) comes back as a flash message on the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.accounts.models import User
from plantdesk.core.choices import active_options
from plantdesk.core.errors import DomainError
from plantdesk.core.history import history_for
from plantdesk.core.journal import journal_for
from plantdesk.incidents import queries as incident_queries
from plantdesk.incidents.choices import OPEN_STATES as INCIDENT_OPEN_STATES
from plantdesk.incidents.choices import HoldReason
from plantdesk.incidents.choices import State as IncidentState
from plantdesk.problems import actions, known_errors, queries, tables, transitions
from plantdesk.problems.choices import CATEGORY_SET, FINAL_STATES, RESOLUTION_CODE_SET, State
from plantdesk.problems.forms import (
    KnownErrorForm,
    LinkIncidentsForm,
    ProblemCommentForm,
    ProblemCreateForm,
    ProblemEditForm,
    ProblemListForm,
    ResolveIncidentsForm,
    TransitionForm,
)
from plantdesk.problems.models import RECORD_TYPE, Problem
from plantdesk.ui.activity import activity
from plantdesk.ui.htmx import (
    agents_only,
    fulfiller_required,
    is_htmx,
    redirect_after_post,
    run_form_action,
    signed_in_user,
    vary_on_htmx,
)
from plantdesk.ui.suggest import render_suggestions, typed_or_none
from plantdesk.ui.zones import use_zone_of

CANDIDATE_DAYS, CANDIDATE_MINIMUM = 30, 3


def visible_or_404(user: User, number: str) -> Problem:
    problem = queries.get_visible(user, number)
    if problem is None:
        raise Http404(f"Problem {number} not found.")
    return problem


def detail_url(problem: Problem) -> str:
    return reverse("ui:problems:detail", args=[problem.number])


# -- list ----------------------------------------------------------------------------------------


@require_GET
@fulfiller_required(agents_only)
def problem_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ProblemListForm(request.GET)
    page = None
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        qs = tables.sorted_queryset(tables.filtered(user, data), data["sort"] or tables.DEFAULT_SORT)
        page = tables.paginate(qs, data["page"] or 1)
    else:
        status = 400
    cleaned = form.cleaned_data if form.is_bound else {}
    days = cleaned.get("days") or CANDIDATE_DAYS
    minimum = cleaned.get("minimum") or CANDIDATE_MINIMUM
    partial = is_htmx(request) and request.headers.get("HX-Target") == "problem-results"
    context = {
        "form": form,
        "page": page,
        "sort": (cleaned.get("sort") if page else None) or tables.DEFAULT_SORT,
        "candidates": [] if partial else queries.problem_candidates(user, days=days, minimum=minimum),
        "days": days,
        "minimum": minimum,
    }
    template = "problems/_list_results.html" if partial else "problems/list.html"
    return vary_on_htmx(render(request, template, context, status=status))


@require_POST
@fulfiller_required(agents_only)
def create_from_candidate(request: HttpRequest) -> HttpResponse:
    """ "Create problem from these": a candidate's incidents become one problem, linked."""
    user = signed_in_user(request)
    chosen = [n for n in request.POST.getlist("incidents") if n]
    try:
        problem = actions.do_create_problem_from_incidents(chosen, actor=user)
    except DomainError as error:
        for message in [error.detail, *(item.message for item in error.errors)]:
            messages.error(request, message)
        return redirect_after_post(request, reverse("ui:problems:list"))
    messages.success(request, _("%(number)s created from %(count)s incidents.") % {
        "number": problem.number, "count": len(chosen)})  # fmt: skip
    return redirect_after_post(request, detail_url(problem))


# -- create --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def create(request: HttpRequest) -> HttpResponse:
    form = ProblemCreateForm(request.POST or None, initial={"incidents": request.GET.get("incidents", "")})
    status: int | None = 200
    if request.method == "POST":
        problem, status = run_form_action(
            form, lambda: actions.do_create_problem(form.action_data(), actor=signed_in_user(request))
        )
        if problem is not None:
            messages.success(request, _("%(number)s created.") % {"number": problem.number})
            return redirect_after_post(request, detail_url(problem))
    return render(request, "problems/create.html", {"form": form}, status=status or 400)


# -- suggestions ---------------------------------------------------------------------------------


@require_GET
@fulfiller_required(agents_only)
def suggest_incidents(request: HttpRequest) -> HttpResponse:
    """Open incidents the agent may see, by number or words of their short description (the link picker)."""
    typed = typed_or_none(request)
    if typed is None:
        return HttpResponse("")
    matching = (
        incident_queries.visible_incidents(signed_in_user(request))
        .filter(state__in=list(INCIDENT_OPEN_STATES))
        .filter(Q(number__istartswith=typed) | Q(short_description__icontains=typed))
        .order_by("-opened_at", "-id")
        .values_list("number", "short_description")[:15]
    )
    return render_suggestions(request, list(matching))


# -- detail --------------------------------------------------------------------------------------


def transition_label(current: str, to: str) -> str:
    if to == State.FIX_IN_PROGRESS and current == State.RESOLVED:
        return _("Reopen")
    if to == State.ROOT_CAUSE_ANALYSIS and current == State.FIX_IN_PROGRESS:
        return _("Back to root cause analysis")
    names: dict[str, str] = {
        State.ASSESS: _("Start assessment"),
        State.ROOT_CAUSE_ANALYSIS: _("Start root cause analysis"),
        State.FIX_IN_PROGRESS: _("Fix in progress"),
        State.RESOLVED: _("Resolve"),
        State.CLOSED: _("Close"),
        State.CANCELED: _("Cancel problem"),
    }
    return names.get(to, to)


def transition_actions(problem: Problem, failed: TransitionForm | None = None) -> list[dict[str, Any]]:
    """One entry per allowed next state; those with required fields carry the form their dialog shows."""
    result = []
    for to in transitions.allowed_next_states(problem):
        form: TransitionForm | None = None
        if failed is not None and failed.data.get("to") == to:
            form = failed
        elif transitions.REQUIRED_FIELDS.get(to):
            form = TransitionForm(initial={"to": to}, to=to, gxp=problem.gxp_relevant, auto_id=f"t_{to}_%s")
        result.append({
            "to": to, "label": transition_label(problem.state, to), "form": form,
            "open": failed is not None and form is failed,
            "primary": to in (State.ASSESS, State.ROOT_CAUSE_ANALYSIS, State.RESOLVED) or (
                to == State.FIX_IN_PROGRESS and problem.state != State.RESOLVED),
        })  # fmt: skip
    return result


def detail_context(
    request: HttpRequest,
    problem: Problem,
    *,
    edit_form: ProblemEditForm | None = None,
    comment_form: ProblemCommentForm | None = None,
    failed_transition: TransitionForm | None = None,
    link_form: LinkIncidentsForm | None = None,
    resolve_form: ResolveIncidentsForm | None = None,
    known_error_form: KnownErrorForm | None = None,
) -> dict[str, Any]:
    user = signed_in_user(request)
    use_zone_of(problem.site)
    tab = "history" if request.GET.get("tab") == "history" else "activity"
    known = queries.known_error_of(problem)
    known_cis = queries.known_error_cis(known) if known else []
    linked = queries.linked_incidents(user, problem)
    waiting = [i for i in linked if i.state == IncidentState.ON_HOLD and i.hold_reason == HoldReason.AWAITING_PROBLEM]
    editable = problem.state not in FINAL_STATES
    context: dict[str, Any] = {
        "problem": problem,
        "labels": {
            "category": dict(active_options(CATEGORY_SET)).get(problem.category, problem.category),
            "resolution_code": dict(active_options(RESOLUTION_CODE_SET)).get(
                problem.resolution_code, problem.resolution_code
            ),
        },
        "tab": tab,
        "editable": editable,
        "actions": transition_actions(problem, failed_transition),
        "edit_form": edit_form or ProblemEditForm(initial=ProblemEditForm.initial_for(problem)),
        "comment_form": comment_form or ProblemCommentForm(),
        "linked": linked,
        "waiting": waiting,
        "link_form": link_form or LinkIncidentsForm(),
        "resolve_form": resolve_form or ResolveIncidentsForm(auto_id="r_%s"),
        "resolve_open": resolve_form is not None,
        "known_error": known,
        "known_error_cis": known_cis,
        "known_error_form": known_error_form
        or KnownErrorForm(initial=KnownErrorForm.initial_for(known, known_cis), auto_id="ke_%s"),
    }
    if tab == "history":
        context["history"] = history_for(RECORD_TYPE, problem.pk, include_internal=True)
    else:
        journal = list(journal_for(RECORD_TYPE, problem.pk, include_internal=True))
        context["activity"] = activity(journal, request.GET.get("activity"), with_internal=True)
    return context


@require_GET
@fulfiller_required(agents_only)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    problem = visible_or_404(signed_in_user(request), number)
    return render(request, "problems/detail.html", detail_context(request, problem))


def _failed(request: HttpRequest, problem: Problem, status: int, **forms_: Any) -> HttpResponse:
    """A refusal the person can fix: the page again with the form (and its dialog) showing the messages. A 409
    has nothing to fix in the form (someone else moved the problem): it is a flash message on a fresh page."""
    form: forms.Form = next(iter(forms_.values()))
    if status == 409:
        for error in error_messages(form):
            messages.error(request, error)
        return redirect_after_post(request, detail_url(problem))
    return render(request, "problems/detail.html", detail_context(request, problem, **forms_), status=status)


def error_messages(form: forms.Form) -> list[str]:
    return [str(message) for errors in form.errors.values() for message in errors]


@require_POST
@fulfiller_required(agents_only)
def update(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    form = ProblemEditForm(request.POST, initial=ProblemEditForm.initial_for(problem))
    updated, status = run_form_action(
        form,
        lambda: actions.do_update_problem(
            problem, form.action_data(), actor=user, expected_updated_at=form.expected_updated_at()
        ),
    )
    if updated is not None:
        messages.success(request, _("%(number)s saved.") % {"number": problem.number})
        return redirect_after_post(request, detail_url(problem))
    return _failed(request, problem, status or 400, edit_form=form)


@require_POST
@fulfiller_required(agents_only)
def transition(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    to = request.POST.get("to", "")
    id_part = to if to in State.values else "unknown"  # never put raw input into a format string
    form = TransitionForm(request.POST, to=to, gxp=problem.gxp_relevant, auto_id=f"t_{id_part}_%s")
    done, status = run_form_action(
        form, lambda: actions.do_transition_problem(problem, to, actor=user, **form.action_kwargs())
    )
    if done is not None:
        messages.success(request, f"{problem.number}: {dict(State.choices).get(to, to)}.")
        return redirect_after_post(request, detail_url(problem))
    if not transitions.REQUIRED_FIELDS.get(to):
        status = 409  # no dialog to put the message in: show it at the top
    return _failed(request, problem, status or 400, failed_transition=form)


@require_POST
@fulfiller_required(agents_only)
def link(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    form = LinkIncidentsForm(request.POST)
    linked, status = run_form_action(form, lambda: actions.do_link_incidents(problem, form.numbers(), actor=user))
    if linked is not None:
        if linked:
            messages.success(request, _("Linked to %(number)s: %(incidents)s.") % {
                "number": problem.number, "incidents": ", ".join(linked)})  # fmt: skip
        else:
            messages.info(request, _("Those incidents were linked already."))
        return redirect_after_post(request, detail_url(problem))
    return _failed(request, problem, status or 400, link_form=form)


@require_POST
@fulfiller_required(agents_only)
def unlink(request: HttpRequest, number: str, incident: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    try:
        actions.do_unlink_incident(problem, incident, actor=user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, _("%(incident)s unlinked from %(number)s.") % {
            "incident": incident, "number": problem.number})  # fmt: skip
    return redirect_after_post(request, detail_url(problem))


@require_POST
@fulfiller_required(agents_only)
def resolve_incidents(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    form = ResolveIncidentsForm(request.POST, auto_id="r_%s")
    resolved, status = run_form_action(
        form,
        lambda: actions.do_resolve_linked_incidents(
            problem, resolution_code=form.cleaned_data["resolution_code"],
            resolution_notes=form.cleaned_data["resolution_notes"], actor=user,
        ),
    )  # fmt: skip
    if resolved is not None:
        if resolved:
            messages.success(request, ngettext(
                "%(count)d incident resolved: %(incidents)s.", "%(count)d incidents resolved: %(incidents)s.",
                len(resolved)) % {"count": len(resolved), "incidents": ", ".join(resolved)})  # fmt: skip
        else:
            messages.info(request, _("No linked incident is on hold awaiting this problem."))
        return redirect_after_post(request, detail_url(problem))
    return _failed(request, problem, status or 400, resolve_form=form)


@require_POST
@fulfiller_required(agents_only)
def known_error(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    form = KnownErrorForm(request.POST, auto_id="ke_%s")
    publish = request.POST.get("publish") == "1"
    result, status = run_form_action(
        form, lambda: known_errors.do_set_known_error(problem, form.action_data(publish=publish), actor=user)
    )
    if result is None:
        return _failed(request, problem, status or 400, known_error_form=form)
    if publish:
        messages.success(request, ngettext(
            "Workaround v%(version)d posted to %(count)d incident.",
            "Workaround v%(version)d posted to %(count)d incidents.", len(result.posted_to),
        ) % {"version": result.known_error.workaround_version, "count": len(result.posted_to)})  # fmt: skip
    else:
        messages.success(request, _("Known error of %(number)s saved.") % {"number": problem.number})
    return redirect_after_post(request, detail_url(problem) + "#known-error")


@require_POST
@fulfiller_required(agents_only)
def comment(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    problem = visible_or_404(user, number)
    form = ProblemCommentForm(request.POST)
    entry, status = run_form_action(
        form,
        lambda: actions.do_add_comment(problem, form.cleaned_data["body"], form.cleaned_data["visibility"],
                                       actor=user),
    )  # fmt: skip
    if entry is not None:
        added = _("Work note added to %(number)s.") if entry.visibility == "internal" else _(
            "Comment added to %(number)s.")  # fmt: skip
        messages.success(request, added % {"number": problem.number})
        return redirect_after_post(request, detail_url(problem))
    return _failed(request, problem, status or 400, comment_form=form)


urlpatterns: list[URLPattern] = [
    path("", problem_list, name="list"),
    path("new/", create, name="create"),
    path("candidates/create/", create_from_candidate, name="create-from-candidate"),
    path("suggest/incidents/", suggest_incidents, name="suggest-incidents"),
    path("<str:number>/", detail, name="detail"),
    path("<str:number>/edit/", update, name="update"),
    path("<str:number>/transition/", transition, name="transition"),
    path("<str:number>/incidents/", link, name="link"),
    path("<str:number>/incidents/<str:incident>/unlink/", unlink, name="unlink"),
    path("<str:number>/resolve-incidents/", resolve_incidents, name="resolve-incidents"),
    path("<str:number>/known-error/", known_error, name="known-error"),
    path("<str:number>/comment/", comment, name="comment"),
]
