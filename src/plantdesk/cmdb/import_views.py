"""The UI upload page for CMDB imports: preview (a dry run) or import a CSV/JSON file, all or nothing."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from plantdesk.cmdb import uploads
from plantdesk.cmdb.importer import ImportRefused
from plantdesk.core.errors import DomainError
from plantdesk.ui.htmx import add_domain_error, agents_only, fulfiller_required, signed_in_user

SHOWN = 200  # rows of a report listed on the page; the counts are always complete


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (one CI per line, rel:<type> and attr:<name> columns) or JSON.")
    )
    format = forms.ChoiceField(
        required=False,
        choices=[("", _("From the file name")), ("csv", "CSV"), ("json", "JSON")],
        label=_("Format"),
    )


@require_http_methods(["GET", "POST"])
@fulfiller_required(agents_only)
def import_cis(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "cmdb/import.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    dry_run = "import" not in request.POST  # "Preview" is the default button: nothing is written by accident
    context: dict[str, object] = {"form": form, "dry_run": dry_run, "shown": SHOWN}
    if not form.is_valid():
        return render(request, "cmdb/import.html", context, status=400)
    upload = form.cleaned_data["file"]
    try:
        fmt = uploads.format_of(upload.name or "", upload.content_type or "", form.cleaned_data["format"] or None)
        report = uploads.run_import(upload.read(), fmt, actor=signed_in_user(request), dry_run=dry_run)
    except ImportRefused as refused:
        context |= {"refused": refused.report.errors[:SHOWN], "error_count": len(refused.report.errors)}
        return render(request, "cmdb/import.html", context, status=400)
    except DomainError as error:
        add_domain_error(form, error)
        return render(request, "cmdb/import.html", context, status=error.status)
    context |= {"report": report, "updated": sorted(report.updated.items())[:SHOWN]}
    return render(request, "cmdb/import.html", context)
