"""The administrators' catalog pages (under /requests/catalog/): the items with their versions, and the editor
with a preview of the order form as requesters will see it. Saving goes through the catalog actions, so the
page refuses exactly what the API refuses; every save that changes the definition makes a new version."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from plantdesk.requests import catalog as catalog_actions
from plantdesk.requests.catalog_form import SPARE_ROWS, CatalogItemForm, initial_for
from plantdesk.requests.models import CatalogItem
from plantdesk.requests.order_form import OrderForm
from plantdesk.requests.shown import approval_steps
from plantdesk.ui.htmx import agents_only, fulfiller_required, redirect_after_post, run_form_action, signed_in_user


def _admin_only(request: HttpRequest) -> Any:
    user = signed_in_user(request)
    if not user.is_plantdesk_admin:
        raise PermissionDenied(_("The service catalog is edited by administrators."))
    return user


@require_GET
@fulfiller_required(agents_only)
def catalog_list(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    items = CatalogItem.objects.select_related("category", "current").order_by("category__order", "order", "id")
    return render(request, "requests/catalog/list.html", {"items": list(items)})


def _rows(request: HttpRequest, key: str, default: int) -> int:
    """The rows the editor shows: as many as were posted, and three more after "Add rows"."""
    try:
        rows = int(request.POST.get(key, default))
    except ValueError:
        rows = default
    return rows + (SPARE_ROWS if request.POST.get("more") == key else 0)


def _editor(request: HttpRequest, item: CatalogItem | None) -> HttpResponse:
    user = _admin_only(request)
    initial, question_rows, task_rows = initial_for(item) if item else ({}, 2 * SPARE_ROWS, SPARE_ROWS)
    creating = item is None
    if request.method == "GET":
        form = CatalogItemForm(initial=initial, creating=creating, question_rows=question_rows, task_rows=task_rows)
        return _render_editor(request, form, item, preview=None)
    form = CatalogItemForm(request.POST, initial=initial, creating=creating,
                           question_rows=_rows(request, "question_rows", question_rows),
                           task_rows=_rows(request, "task_rows", task_rows))  # fmt: skip
    if request.POST.get("more") or request.POST.get("preview"):
        preview = form.preview() if form.is_valid() else None
        return _render_editor(request, form, item, preview=preview)

    def save() -> CatalogItem:
        if item is None:
            return catalog_actions.do_create_catalog_item(form.payload(), actor=user)
        return catalog_actions.do_update_catalog_item(item, form.payload(), actor=user)

    saved, status = run_form_action(form, save)
    if saved is None:
        return _render_editor(request, form, item, preview=None, status=status or 400)
    current = CatalogItem.objects.select_related("current").get(pk=saved.pk).current
    version = current.version if current else 1
    messages.success(request, _("%(name)s saved (version %(version)s).") % {"name": saved.name, "version": version})
    return redirect_after_post(request, reverse("ui:requests:catalog-edit", args=[saved.name]))


def _render_editor(request: HttpRequest, form: CatalogItemForm, item: CatalogItem | None, *,
                   preview: list[dict[str, Any]] | None, status: int = 200) -> HttpResponse:  # fmt: skip
    context: dict[str, Any] = {"form": form, "item": item, "preview": None}
    if preview is not None and not form.errors:
        order_form = OrderForm(preview)
        steps = form.cleaned_data.get("approval", "")
        context["preview"] = {"rows": order_form.question_rows(), "title": form.cleaned_data.get("title", ""),
                              "steps": approval_steps([s.strip() for s in steps.split(",") if s.strip()])}  # fmt: skip
    versions = list(item.versions.select_related("created_by").order_by("-version")[:20]) if item else []
    context["versions"] = versions
    return render(request, "requests/catalog/edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def catalog_new(request: HttpRequest) -> HttpResponse:
    return _editor(request, None)


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def catalog_edit(request: HttpRequest, name: str) -> HttpResponse:
    _admin_only(request)
    item = CatalogItem.objects.select_related("category", "current").filter(name=name).first()
    if item is None:
        raise Http404(f"Catalog item {name} not found.")
    return _editor(request, item)


urlpatterns: list[URLPattern] = [
    path("catalog/", catalog_list, name="catalog"),
    path("catalog/new/", catalog_new, name="catalog-new"),
    path("catalog/<slug:name>/", catalog_edit, name="catalog-edit"),
]
