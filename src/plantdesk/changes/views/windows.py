"""The window pages: the list with its filters (every agent), planning and deactivating windows (change
managers and administrators), and the CSV upload of production runs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plantdesk.accounts.models import Site, User
from plantdesk.accounts.permissions import restrict
from plantdesk.changes import window_actions
from plantdesk.changes.containment import windows_for_cis, windows_for_site
from plantdesk.changes.models import Window
from plantdesk.changes.views.window_forms import (
    DeactivateForm,
    MaintenanceForm,
    RunUploadForm,
    WindowFilterForm,
    WindowForm,
)
from plantdesk.cmdb.queries import find_visible_ci
from plantdesk.core.errors import DomainError, InvalidInput
from plantdesk.core.pagination import Page, paginate
from plantdesk.ui.htmx import (
    add_domain_error,
    agents_only,
    fulfiller_required,
    redirect_after_post,
    run_form_action,
    signed_in_user,
)
from plantdesk.ui.times import local_datetime


def _filtered(user: User, filters: WindowFilterForm) -> tuple[QuerySet[Window], list[str]]:
    qs = restrict(user, "view", Window)
    if not filters.is_valid():
        return qs.filter(active=True), [
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in filters.errors.items()
        ]
    data = filters.cleaned_data
    problems: list[str] = []
    qs = qs.filter(active=data.get("show") != "inactive")
    if data.get("kind"):
        qs = qs.filter(kind=data["kind"])
    if data.get("site"):
        site = Site.objects.filter(code=data["site"]).first()
        qs = qs.filter(windows_for_site(site.pk)) if site else qs.none()
    if data.get("ci"):
        ci = find_visible_ci(user, data["ci"])
        if ci is None:
            problems.append(f"No CI {data['ci']!r} that you can see.")
            qs = qs.none()
        else:
            qs = qs.filter(windows_for_cis([ci.pk]))
    return qs, problems


def _load(qs: QuerySet[Window], offset: int, size: int) -> list[Window]:
    rows = qs.select_related("created_by").prefetch_related("cis", "ci_classes", "sites")[offset : offset + size]
    return list(rows)


# Production runs make the list long (one a line a day): a page the height of a screen or two, not 5,500 px.
WINDOWS_PAGE_SIZE = 15


def windows_page(
    request: HttpRequest,
    *,
    form: WindowForm | None = None,
    maintenance_form: MaintenanceForm | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    user = signed_in_user(request)
    filters = WindowFilterForm(request.GET or None)
    qs, problems = _filtered(user, filters)
    number = filters.cleaned_data.get("page") or 1 if filters.is_valid() else 1
    page: Page[Window] = paginate(qs.order_by("start", "id"), number, load=_load, size=WINDOWS_PAGE_SIZE)
    can_plan = window_actions.can_plan_windows(user)
    context = {
        "filters": filters,
        "problems": problems,
        "page": page,
        "rows": [_row(w, user) for w in page.rows],
        "can_plan": can_plan,
        "form": form or (WindowForm(user=user) if can_plan else None),
        "maintenance_form": maintenance_form
        or MaintenanceForm(initial={"ci": request.GET.get("maintain", "")[:255], "duration": "240"}),
        **(extra or {}),
    }
    return render(request, "changes/windows.html", context, status=status)


def _row(window: Window, user: User) -> dict[str, Any]:
    """What a table row shows: the first occurrence in the page's zone (one zone per page); a recurring
    window also names the zone its rule repeats in."""
    return {
        "window": window,
        "can_deactivate": window.active and window_actions.can_deactivate(user, window),
        "start": local_datetime(window.start),
        "end": local_datetime(window.end),
        "last_end": local_datetime(window.last_end) if window.last_end else "",
        "cis": sorted(ci.name for ci in window.cis.all()),
        "ci_classes": sorted(c.name for c in window.ci_classes.all()),
        "sites": sorted(s.code for s in window.sites.all()),
    }


@require_http_methods(["GET"])
@fulfiller_required(agents_only)
def windows(request: HttpRequest) -> HttpResponse:
    return windows_page(request)


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def window_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not window_actions.can_plan_windows(user):
        raise PermissionDenied(_("Windows are planned by change managers and administrators."))
    if request.method == "GET":
        return render(request, "changes/window_form.html", {"form": WindowForm(user=user)})
    form = WindowForm(request.POST, user=user)
    if form.is_valid():
        try:
            window = window_actions.do_create_window(form.action_data(), actor=user)
        except DomainError as error:
            add_domain_error(form, error)
            status = error.status
        else:
            messages.success(
                request, _("%(kind)s '%(name)s' planned.") % {"kind": window.get_kind_display(), "name": window.name}
            )
            return redirect_after_post(request, reverse("ui:changes:windows"))
    else:
        status = 400
    return render(request, "changes/window_form.html", {"form": form}, status=status)


@require_POST
@fulfiller_required(agents_only)
def window_deactivate(request: HttpRequest, window_id: int) -> HttpResponse:
    user = signed_in_user(request)
    window = restrict(user, "view", Window).filter(pk=window_id).first()
    if window is None:
        raise Http404(f"No window {window_id}.")
    if not window_actions.can_deactivate(user, window):
        raise PermissionDenied(_("Windows are deactivated by change managers and administrators."))
    form = DeactivateForm(request.POST)
    reason = str(form.data.get("reason") or "")
    try:
        window_actions.do_deactivate_window(window, actor=user, reason=reason)
    except InvalidInput as error:
        messages.error(
            request,
            _("'%(name)s' was not deactivated: %(reason)s") % {"name": window.name, "reason": error.errors[0].message},
        )
    else:
        messages.success(
            request, _("'%(name)s' is deactivated; it no longer applies to changes or alerts.") % {"name": window.name}
        )
    return redirect_after_post(request, reverse("ui:changes:windows"))


@require_POST
@fulfiller_required(agents_only)
def window_maintenance(request: HttpRequest) -> HttpResponse:
    """Put a CI in maintenance from now (every agent): one-off maintenance window on that CI."""
    user = signed_in_user(request)
    form = MaintenanceForm(request.POST)
    window, status = run_form_action(form, lambda: window_actions.do_put_in_maintenance(form.action_data(), actor=user))
    if window is None:
        return windows_page(request, maintenance_form=form, status=status or 400)
    until = local_datetime(window.end)
    messages.success(
        request,
        _("%(ci)s is in maintenance until %(until)s: alerts, no incidents.")
        % {"ci": form.cleaned_data["ci"], "until": until},
    )
    return redirect_after_post(request, reverse("ui:changes:windows") + "?kind=maintenance")


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def production_runs_upload(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not window_actions.can_import_runs(user):
        raise PermissionDenied(_("Production runs are imported by change managers, administrators and the MES."))
    if request.method == "GET":
        return render(request, "changes/window_upload.html", {"form": RunUploadForm()})
    form = RunUploadForm(request.POST, request.FILES)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "changes/window_upload.html", context, status=400)
    try:
        rows, lines = form.rows()
    except forms.ValidationError as error:
        form.add_error("file", error)
        return render(request, "changes/window_upload.html", context, status=400)
    try:
        results = window_actions.do_import_production_runs(rows, actor=user)
    except DomainError as error:
        context["row_errors"], general = _row_errors(error, rows, lines)
        for message in general:
            form.add_error(None, message)
        return render(request, "changes/window_upload.html", context, status=error.status)
    tally: dict[str, int] = defaultdict(int)
    for result in results:
        tally[result.result] += 1
    context["summary"] = {"created": tally["created"], "updated": tally["updated"], "unchanged": tally["unchanged"]}
    context["results"] = list(zip(lines, results, strict=True))
    return render(request, "changes/window_upload.html", context)


def _row_errors(
    error: DomainError, rows: list[dict[str, str]], lines: list[int]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each "<row index>.<field>" error on the file's line (the header is line 1); the rest for the form."""
    per_row: list[dict[str, Any]] = []
    general: list[str] = []
    for item in error.errors:
        index, _dot, field = item.field.partition(".")
        if not index.isdigit() or int(index) >= len(lines):
            general.append(f"{item.field}: {item.message}")
            continue
        row = rows[int(index)]
        per_row.append({"line": lines[int(index)], "external_id": row.get("external_id", ""), "field": field,
                        "value": row.get(field, ""), "message": item.message})  # fmt: skip
    if not error.errors:
        general.append(error.detail)
    return per_row, general
