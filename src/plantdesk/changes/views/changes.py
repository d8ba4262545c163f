"""The change pages: list, new, detail (with approvals, signatures, conflicts, tasks) and their posts.

Thin like the API: a form shapes the input, one action writes. A refused post (409 guard, 403 wrong
password) comes back to the detail page with the reasons as messages; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.accounts.choices import Role
from plantdesk.accounts.models import User
from plantdesk.changes import actions, queries, signing, transitions
from plantdesk.changes.choices import ApprovalState, ChangeType, State
from plantdesk.changes.forms import (
    ChangeCreateForm,
    ChangeEditForm,
    DecisionForm,
    LinkIncidentForm,
    OverrideForm,
    SignForm,
    TransitionForm,
    initial_for,
)
from plantdesk.changes.models import RECORD_TYPE, Approval, ChangeRequest, ChangeTask
from plantdesk.changes.record import signable_values
from plantdesk.cmdb.impact import impact
from plantdesk.core.errors import DomainError
from plantdesk.core.history import history_for
from plantdesk.core.signatures import signatures_of, verify
from plantdesk.ui import labels
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, run_form_action, signed_in_user
from plantdesk.ui.panels import render_panels
from plantdesk.ui.readable import signature_text
from plantdesk.ui.zones import use_zone_of

LIST_LIMIT = 200


def visible_or_404(user: User, number: str) -> ChangeRequest:
    change = queries.get_visible(user, number)
    if change is None:
        raise Http404(f"Change {number} not found.")
    return change


def detail_url(number: str) -> str:
    return reverse("ui:changes:detail", args=[number])


@require_GET
@fulfiller_required(agents_only)
def change_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    states = [s for s in request.GET.getlist("state") if s in State.values]
    change_type = request.GET.get("type") if request.GET.get("type") in ChangeType.values else None
    qs = queries.filter_changes(queries.visible_changes(user), states=states, type=change_type, q=request.GET.get("q"))
    rows = list(queries.with_related(qs.order_by("-opened_at", "-id"))[:LIST_LIMIT])
    context = {"changes": rows, "states": State.choices, "types": ChangeType.choices, "chosen": states,
               "chosen_type": change_type or "", "q": request.GET.get("q", "")}  # fmt: skip
    return render(request, "changes/list.html", context)


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def change_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "GET":
        form = ChangeCreateForm(initial={"type": request.GET.get("type", ChangeType.NORMAL)})
        return render(request, "changes/new.html", {"form": form})
    form = ChangeCreateForm(request.POST)
    change, status = run_form_action(form, lambda: actions.do_create_change(form.action_data(), actor=user))
    if change is None:
        return render(request, "changes/new.html", {"form": form}, status=status or 400)
    messages.success(request, _("%(number)s created.") % {"number": change.number})
    return redirect_after_post(request, detail_url(change.number))


@require_GET
@fulfiller_required(agents_only)
def change_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    change = visible_or_404(user, number)
    return render(
        request,
        "changes/detail.html",
        detail_context(request, user, change, ChangeEditForm(initial=initial_for(change))),
    )


def detail_context(
    request: HttpRequest, user: User, change: ChangeRequest, edit_form: ChangeEditForm
) -> dict[str, Any]:
    use_zone_of(change.site)
    approvals = list(
        change.approvals.select_related("group", "approver", "signature").order_by("-round", "level", "id")
    )
    values = signable_values(change)
    sigs = [
        {
            "sig": s,
            "purpose": labels.field_label(s.purpose),
            "meaning": labels.value_label("meaning", s.meaning),
            "verified": verify(s, values) if s.valid else False,
        }
        for s in signatures_of(RECORD_TYPE, change.pk)
    ]
    my_pending = [a for a in approvals if a.approver_id == user.pk and a.state == ApprovalState.REQUESTED]
    return {
        "change": change,
        "cis": [link.ci for link in change.ci_links.all()],
        "impacted": _impacted(change),
        "next_states": transitions.allowed_next_states(change.type, change.state),
        "conflicts": queries.conflicts_for(user, change),
        "approvals": approvals,
        "my_pending": my_pending,
        "decision_form": DecisionForm(),
        "signatures": sigs,
        "sign_form": SignForm() if user.role == Role.QA else None,
        "override_form": OverrideForm() if user.role in queries.CHANGE_AUTHORITIES else None,
        "tasks": list(change.tasks.select_related("done_by").order_by("order")),
        "caused": list(change.caused_incidents.order_by("number")),
        "link_form": LinkIncidentForm(),
        "edit_form": edit_form,
        "editable": not change.is_final,
        "history": history_for(RECORD_TYPE, change.pk, include_internal=True),
        # What other apps show on the page (the problems app: the problems this change fixes).
        "panels": render_panels("change_detail", request, user, change),
    }


def _impacted(change: ChangeRequest) -> dict[str, list[str]]:
    """The services and production lines the affected CIs' failure would reach (DOMAIN.md section 3)."""
    lines: set[str] = set()
    services: set[str] = set()
    for link in change.ci_links.all():
        for item in impact(link.ci, "downstream", depth=10, limit=2000).items:
            if item.ci_class == "line":
                lines.add(item.name)
            elif item.ci_class in ("business_service", "technical_service", "service"):
                services.add(item.name)
        if link.ci.ci_class.name == "line":
            lines.add(link.ci.name)
    return {"lines": sorted(lines), "services": sorted(services)}


def _post(request: HttpRequest, number: str, act: Callable[[User, ChangeRequest], str]) -> HttpResponse:
    """Run one action for the detail page; its refusal (and every reason) comes back as messages."""
    user = signed_in_user(request)
    change = visible_or_404(user, number)
    try:
        done = act(user, change)
    except DomainError as error:
        messages.error(request, error.detail)
        for item in error.errors:
            messages.error(request, f"{item.field}: {item.message}")
    else:
        messages.success(request, done)
    back = request.POST.get("next", "")
    # Only our own agenda page: never an open redirect.
    return redirect_after_post(request, back if back.startswith("/changes/cab/") else detail_url(number))


@require_POST
@fulfiller_required(agents_only)
def change_edit(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    change = visible_or_404(user, number)
    form = ChangeEditForm(request.POST, initial=initial_for(change))
    updated, status = run_form_action(form, lambda: actions.do_update_change(change, form.action_data(), actor=user))
    if updated is None:
        fresh = visible_or_404(user, number)
        return render(request, "changes/detail.html", detail_context(request, user, fresh, form), status=status or 400)
    messages.success(
        request,
        _("Saved.")
        if updated.state == change.state
        else _("Saved; the change went back to %(state)s.") % {"state": updated.get_state_display()},
    )
    return redirect_after_post(request, detail_url(number))


@require_POST
@fulfiller_required(agents_only)
def change_transition(request: HttpRequest, number: str) -> HttpResponse:
    form = TransitionForm(request.POST)
    form.is_valid()
    to, reason = form.cleaned_data.get("to", ""), form.cleaned_data.get("reason", "")

    def act(user: User, change: ChangeRequest) -> str:
        moved = actions.do_transition_change(change, to, actor=user, reason=reason)
        return _("%(number)s is now %(state)s.") % {"number": moved.number, "state": moved.get_state_display()}

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def approval_decide(request: HttpRequest, number: str, approval_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def act(user: User, change: ChangeRequest) -> str:
        approval = Approval.objects.filter(change=change, pk=approval_id).select_related("change", "group").first()
        if approval is None:
            raise Http404("No such approval.")
        signing.do_decide_approval(
            approval, data.get("decision", ""), actor=user, comment=data.get("comment", ""),
            password=data.get("password") or None, request=request,
        )  # fmt: skip
        return _("Your decision on %(number)s is recorded.") % {"number": change.number}

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def change_sign(request: HttpRequest, number: str) -> HttpResponse:
    form = SignForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def act(user: User, change: ChangeRequest) -> str:
        sig = signing.do_sign_change(
            change, data.get("purpose", ""), actor=user, password=data.get("password") or None,
            meaning=data.get("meaning") or None, comment=data.get("comment", ""), request=request,
        )  # fmt: skip
        return signature_text(sig)

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def change_override(request: HttpRequest, number: str) -> HttpResponse:
    form = OverrideForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def act(user: User, change: ChangeRequest) -> str:
        sig = signing.do_override_conflicts(
            change, actor=user, password=data.get("password") or None, reason=data.get("reason", ""), request=request
        )
        return _("Override signed.") + " " + signature_text(sig)

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def task_update(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    def act(user: User, change: ChangeRequest) -> str:
        task = ChangeTask.objects.filter(change=change, pk=task_id).select_related("change").first()
        if task is None:
            raise Http404("No such task.")
        updated = actions.do_update_task(
            task, request.POST.get("state", ""), actor=user, notes=request.POST.get("notes", "")
        )
        state = str(updated.get_state_display()).lower()  # inside a sentence: "Task 1 is done."
        return _("Task %(order)s is %(state)s.") % {"order": updated.order, "state": state}

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def caused_incident_link(request: HttpRequest, number: str) -> HttpResponse:
    def act(user: User, change: ChangeRequest) -> str:
        actions.do_link_caused_incident(change, request.POST.get("incident", "").strip().upper(), actor=user)
        return _("Incident linked as caused by this change.")

    return _post(request, number, act)


@require_POST
@fulfiller_required(agents_only)
def conflicts_check(request: HttpRequest, number: str) -> HttpResponse:
    def act(user: User, change: ChangeRequest) -> str:
        found = actions.do_check_conflicts(change, actor=user)
        return (
            ngettext("%(count)d conflict found.", "%(count)d conflicts found.", len(found)) % {"count": len(found)}
            if found
            else _("No conflicts.")
        )

    return _post(request, number, act)
