"""The agent pages of service requests (mounted at /requests/): request items and fulfilment tasks.

Thin like the incident views: read through the permission-scoped queries, write through one action, and
show an action's refusal as a message on the page it came from."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from plantdesk.core.errors import DomainError
from plantdesk.core.history import history_for
from plantdesk.core.journal import journal_for
from plantdesk.requests import actions, catalog_views, fulfilment, queries, transitions
from plantdesk.requests.approvals import item_approvals
from plantdesk.requests.choices import TASK_OPEN, ItemState, TaskState
from plantdesk.requests.models import ITEM_RECORD_TYPE, TASK_RECORD_TYPE, AccessGrant, FulfilmentTask, RequestItem
from plantdesk.requests.shown import answer_rows
from plantdesk.ui.activity import activity
from plantdesk.ui.htmx import (
    agents_only,
    fulfiller_required,
    message_domain_error,
    redirect_after_post,
    signed_in_user,
)
from plantdesk.ui.widgets import agent_picker, group_picker
from plantdesk.ui.zones import use_zone_of

ITEM_RELATED = ("request__requested_for", "request__requested_by", "version", "catalog_item", "site",
                "assignment_group", "ci")  # fmt: skip
TASK_RELATED = ("request_item__version", "request_item__request__requested_for", "assignment_group", "assignee", "site")
OPEN_ITEM_STATES = (ItemState.PENDING_APPROVAL, ItemState.APPROVED, ItemState.IN_FULFILMENT)
LIST_SIZE = 50
TRANSITION_LABELS: dict[str, Any] = {
    TaskState.OPEN: gettext_lazy("Back to open"),
    TaskState.IN_PROGRESS: gettext_lazy("Start work"),
    TaskState.CLOSED_COMPLETE: gettext_lazy("Close complete"),
    TaskState.CLOSED_SKIPPED: gettext_lazy("Skip"),
}


class TaskAssignForm(forms.Form):
    assignment_group = forms.CharField(label=gettext_lazy("Assignment group"), required=False, widget=group_picker())
    assignee = forms.CharField(label=gettext_lazy("Assignee"), required=False, widget=agent_picker(),
                               help_text=gettext_lazy("Name or username"))  # fmt: skip


@require_GET
@fulfiller_required(agents_only)
def item_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    show = request.GET.get("show", "open")
    items = queries.visible_items(user).select_related(*ITEM_RELATED)
    if show == "open":
        items = items.filter(state__in=OPEN_ITEM_STATES)
    else:
        show = "all"
    rows = list(items.order_by("-opened_at", "-id")[:LIST_SIZE])
    return render(request, "requests/items.html", {"rows": rows, "show": show})


def _item_or_404(user: Any, number: str) -> RequestItem:
    item = queries.visible_items(user).select_related(*ITEM_RELATED).filter(number=number).first()
    if item is None:
        raise Http404(f"Request item {number} not found.")
    return item


@require_GET
@fulfiller_required(agents_only)
def item_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    item = _item_or_404(user, number)
    use_zone_of(item.site)
    tab = "history" if request.GET.get("tab") == "history" else "activity"
    context = {
        "item": item,
        "tab": tab,
        "answers": answer_rows(item.version.questions, item.answers),
        "approvals": item_approvals(item),
        "tasks": list(item.tasks.select_related("assignment_group", "assignee").order_by("stage", "id")),
        "grants": list(AccessGrant.objects.filter(request_item=item).select_related("user", "system")),
        "activity": activity(
            list(journal_for(ITEM_RECORD_TYPE, item.pk, include_internal=True)),
            request.GET.get("activity"),
            with_internal=True,
        ),
        "history": history_for(ITEM_RECORD_TYPE, item.pk, include_internal=True) if tab == "history" else [],
        "can_cancel": item.state in OPEN_ITEM_STATES,
    }
    return render(request, "requests/item.html", context)


@require_POST
@fulfiller_required(agents_only)
def item_comment(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    item = _item_or_404(user, number)
    public = request.POST.get("visibility") == "public"
    try:
        actions.do_comment_item(item, request.POST.get("body", ""), actor=user, public=public)
    except DomainError as error:
        message_domain_error(request, error)
    else:
        messages.success(request, _("Comment added.") if public else _("Work note added."))
    return redirect_after_post(request, reverse("ui:requests:item", args=[item.number]))


@require_POST
@fulfiller_required(agents_only)
def item_cancel(request: HttpRequest, number: str) -> HttpResponse:
    item = _item_or_404(signed_in_user(request), number)
    try:
        actions.do_cancel_item(item, actor=signed_in_user(request), reason=request.POST.get("reason", ""))
    except DomainError as error:
        message_domain_error(request, error)
    else:
        messages.success(request, _("%(number)s canceled.") % {"number": item.number})
    return redirect_after_post(request, reverse("ui:requests:item", args=[item.number]))


@require_GET
@fulfiller_required(agents_only)
def task_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    show = request.GET.get("show", "mine")
    if show == "mine":
        tasks = queries.open_work(user)
    else:
        show = "open"
        tasks = queries.visible_tasks(user).filter(active=True, state__in=TASK_OPEN)
    rows = list(tasks.select_related(*TASK_RELATED).order_by("opened_at", "id")[:LIST_SIZE])
    return render(request, "requests/tasks.html", {"rows": rows, "show": show, "count": tasks.count()})


def _task_or_404(user: Any, number: str) -> FulfilmentTask:
    task = queries.visible_tasks(user).select_related(*TASK_RELATED, "request_item__site").filter(number=number).first()
    if task is None:
        raise Http404(f"Task {number} not found.")
    return task


@require_GET
@fulfiller_required(agents_only)
def task_detail(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    task = _task_or_404(user, number)
    use_zone_of(task.site)
    item = task.request_item
    next_states = sorted(transitions.TASK_ALLOWED[task.state]) if task.active else []
    context = {
        "task": task,
        "item": item,
        "answers": answer_rows(item.version.questions, item.answers),
        "actions": [{"to": to, "label": TRANSITION_LABELS.get(to, to)} for to in next_states],
        "history": history_for(TASK_RECORD_TYPE, task.pk, include_internal=True),
        "assign_form": TaskAssignForm(
            initial={
                "assignment_group": task.assignment_group.name if task.assignment_group else "",
                "assignee": task.assignee.username if task.assignee else "",
            }
        ),
    }
    return render(request, "requests/task.html", context)


@require_POST
@fulfiller_required(agents_only)
def task_transition(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    task = _task_or_404(user, number)
    to = request.POST.get("to", "")
    try:
        moved = fulfilment.do_transition_task(task, to, actor=user, notes=request.POST.get("notes", ""))
    except DomainError as error:
        message_domain_error(request, error)
    else:
        messages.success(request, _("%(number)s is now %(state)s.") % {
            "number": moved.number, "state": moved.get_state_display()})  # fmt: skip
    return redirect_after_post(request, reverse("ui:requests:task", args=[task.number]))


@require_POST
@fulfiller_required(agents_only)
def task_assign(request: HttpRequest, number: str) -> HttpResponse:
    user = signed_in_user(request)
    task = _task_or_404(user, number)
    data = {k: request.POST.get(k, "").strip() or None for k in ("assignment_group", "assignee")}
    try:
        fulfilment.do_update_task(task, data, actor=user)
    except DomainError as error:
        message_domain_error(request, error)
    else:
        messages.success(request, _("%(number)s assigned.") % {"number": task.number})
    return redirect_after_post(request, reverse("ui:requests:task", args=[task.number]))


app_name = "requests"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", item_list, name="list"),
    path("", include(catalog_views.urlpatterns)),  # catalog/...: before the item numbers
    path("tasks/", task_list, name="tasks"),
    path("tasks/<str:number>/", task_detail, name="task"),
    path("tasks/<str:number>/transition/", task_transition, name="task-transition"),
    path("tasks/<str:number>/assign/", task_assign, name="task-assign"),
    path("<str:number>/", item_detail, name="item"),
    path("<str:number>/comment/", item_comment, name="item-comment"),
    path("<str:number>/cancel/", item_cancel, name="item-cancel"),
]
