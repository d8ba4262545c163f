"""The requester portal's service requests: browse and search the catalog, order with a form rendered from
the item's questions, follow "my requests" with their state and approvals, and decide the approvals one is
asked for (a manager, a group member, QA with the e-signature). Thin: the order form only shapes the
answers, the actions of this app and of `changes` (decisions) check and write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from plantdesk.changes.models import Approval, ApprovalState
from plantdesk.changes.signing import do_decide_approval
from plantdesk.core.errors import DomainError
from plantdesk.core.journal import journal_for
from plantdesk.requests import actions, queries
from plantdesk.requests.approvals import item_approvals
from plantdesk.requests.choices import ItemState, Source
from plantdesk.requests.models import ITEM_RECORD_TYPE, CatalogItem, RequestItem
from plantdesk.requests.order_form import OrderForm
from plantdesk.requests.shown import answer_rows, approval_steps
from plantdesk.ui.activity import activity
from plantdesk.ui.htmx import message_domain_error, redirect_after_post, run_form_action, signed_in_user
from plantdesk.ui.zones import use_zone_of

OPEN_ITEM_STATES = (ItemState.PENDING_APPROVAL, ItemState.APPROVED, ItemState.IN_FULFILMENT)
PAGE_SIZE = 20


def orderable_or_404(request: HttpRequest, name: str) -> CatalogItem:
    item = queries.orderable(signed_in_user(request)).select_related("category", "current").filter(name=name).first()
    if item is None:
        raise Http404(f"Catalog item {name} not found.")
    return item


def my_item_or_404(request: HttpRequest, number: str) -> RequestItem:
    item = (
        queries.visible_items(signed_in_user(request))
        .select_related("request__requested_for", "request__requested_by", "version", "catalog_item", "site")
        .filter(number=number)
        .first()
    )
    if item is None:
        raise Http404(f"Request item {number} not found.")
    return item


@require_GET
@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    q = request.GET.get("q", "").strip()[:100]
    items = queries.orderable(user).select_related("category", "current").order_by("category__order", "order", "id")
    if q:
        items = items.filter(Q(current__title__icontains=q) | Q(current__description__icontains=q)
                             | Q(category__title__icontains=q))  # fmt: skip
    groups: dict[str, dict[str, Any]] = {}
    for item in items[:200]:
        entry = groups.setdefault(item.category.name, {"title": item.category.title, "items": []})
        entry["items"].append(item)
    return render(request, "requests/portal/catalog.html", {"categories": list(groups.values()), "q": q})


@require_http_methods(["GET", "POST"])
@login_required
def order(request: HttpRequest, name: str) -> HttpResponse:
    item = orderable_or_404(request, name)
    version = item.current
    assert version is not None
    form = OrderForm(version.questions, request.POST or None)
    status = 200
    if request.method == "POST":
        user = signed_in_user(request)
        placed, failed = run_form_action(
            form, lambda: actions.do_submit_request(form.order(item.name), actor=user, source=Source.PORTAL)
        )
        if placed is not None:
            first = placed.items.order_by("id").first()
            assert first is not None
            messages.success(
                request, _("Thank you. Your request %(number)s has been placed.") % {"number": first.number}
            )
            return redirect_after_post(request, reverse("ui:portal-request-item", args=[first.number]))
        status = failed or 400
    context = {"item": item, "version": version, "form": form, "rows": form.question_rows(),
               "steps": approval_steps(version.approval or [])}  # fmt: skip
    return render(request, "requests/portal/order.html", context, status=status)


@require_GET
@login_required
def my_requests(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    show = "closed" if request.GET.get("show") == "closed" else "open"
    mine = queries.visible_items(user).filter(Q(request__requested_for=user) | Q(request__requested_by=user))
    mine = mine.filter(state__in=OPEN_ITEM_STATES) if show == "open" else mine.exclude(state__in=OPEN_ITEM_STATES)
    rows = list(mine.select_related("request__requested_for", "version").order_by("-opened_at", "-id")[:PAGE_SIZE])
    waiting = {a.record_id: a for a in Approval.objects.filter(
        record_type=ITEM_RECORD_TYPE, record_id__in=[r.pk for r in rows], state=ApprovalState.REQUESTED,
    ).select_related("approver")}  # fmt: skip
    entries = [{"item": r, "waiting_for": waiting.get(r.pk)} for r in rows]
    context = {"entries": entries, "show": show, "approvals_waiting": _my_open_approvals(user).count()}
    return render(request, "requests/portal/list.html", context)


@require_GET
@login_required
def item_detail(request: HttpRequest, number: str) -> HttpResponse:
    item = my_item_or_404(request, number)
    use_zone_of(item.site)
    user = signed_in_user(request)
    own = user.pk in (item.request.requested_by_id, item.request.requested_for_id)
    context = {
        "item": item,
        "answers": answer_rows(item.version.questions, item.answers),
        "approvals": item_approvals(item),
        "activity": activity(
            list(journal_for(ITEM_RECORD_TYPE, item.pk, include_internal=False)), None, with_internal=False
        ),
        "can_cancel": own and item.state in OPEN_ITEM_STATES,
        "my_approval": _my_open_approvals(user).filter(record_id=item.pk).first(),
    }
    return render(request, "requests/portal/item.html", context)


@require_POST
@login_required
def cancel(request: HttpRequest, number: str) -> HttpResponse:
    item = my_item_or_404(request, number)
    try:
        actions.do_cancel_item(item, actor=signed_in_user(request), reason=request.POST.get("reason", ""))
    except DomainError as error:
        message_domain_error(request, error)
    else:
        messages.success(request, _("%(number)s withdrawn.") % {"number": item.number})
    return redirect_after_post(request, reverse("ui:portal-request-item", args=[item.number]))


def _my_open_approvals(user: Any) -> Any:
    return Approval.objects.filter(record_type=ITEM_RECORD_TYPE, approver=user, state=ApprovalState.REQUESTED)


@require_GET
@login_required
def my_approvals(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    pending = list(_my_open_approvals(user).order_by("id")[:50])
    items = {i.pk: i for i in RequestItem.objects.filter(pk__in=[a.record_id for a in pending])
             .select_related("request__requested_for", "request__requested_by", "version", "site")}  # fmt: skip
    entries = []
    for approval in pending:
        item = items.get(int(approval.record_id or 0))
        if item is not None:
            entries.append(
                {"approval": approval, "item": item, "answers": answer_rows(item.version.questions, item.answers)}
            )
    return render(request, "requests/portal/approvals.html", {"entries": entries})


@require_POST
@login_required
def decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    user = signed_in_user(request)
    approval = _my_open_approvals(user).filter(pk=approval_id).first()
    back = request.POST.get("next") or reverse("ui:portal-approvals")
    if not back.startswith("/"):
        back = reverse("ui:portal-approvals")
    if approval is None:
        messages.error(request, _("This approval is not waiting for you (any more)."))
        return redirect_after_post(request, back)
    try:
        do_decide_approval(approval, request.POST.get("decision", ""), actor=user,
                           comment=request.POST.get("comment", ""), password=request.POST.get("password") or None,
                           request=request)  # fmt: skip
    except DomainError as error:
        message_domain_error(request, error)
        return redirect_after_post(request, back)
    messages.success(request, _("Your decision on %(number)s is recorded.") % {"number": approval.record_label})
    return redirect_after_post(request, back)


urlpatterns: list[URLPattern] = [
    path("catalog/", catalog, name="portal-catalog"),
    path("catalog/<slug:name>/", order, name="portal-order"),
    path("requests/", my_requests, name="portal-requests"),
    path("requests/<str:number>/", item_detail, name="portal-request-item"),
    path("requests/<str:number>/cancel/", cancel, name="portal-request-cancel"),
    path("approvals/", my_approvals, name="portal-approvals"),
    path("approvals/<int:approval_id>/decide/", decide, name="portal-approval-decide"),
]
