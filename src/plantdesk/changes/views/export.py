"""Downloads of one change as CSV and PDF, with its signature manifestations and audit trail.

Agent pages (requesters are sent to their portal); a change the user may not see is a 404, read through
`queries.get_visible`, the permission choke point, like every other change page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_GET

from plantdesk.changes.exporter import change_csv, change_pdf
from plantdesk.changes.views.changes import visible_or_404
from plantdesk.ui.htmx import agents_only, fulfiller_required, signed_in_user


def _attachment(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A regulated record's export is fetched fresh each time: no shared cache keeps a copy.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@fulfiller_required(agents_only)
def change_export_csv(request: HttpRequest, number: str) -> HttpResponse:
    change = visible_or_404(signed_in_user(request), number)
    # A byte-order mark, so that spreadsheet programs read the UTF-8 (printed names, plans) as UTF-8.
    # Exports of a regulated record read the same whoever downloads them: English, as the audit trail is.
    with translation.override("en"):
        body = "\ufeff" + change_csv(change, generated_by=signed_in_user(request))
    return _attachment(body.encode("utf-8"), "text/csv; charset=utf-8", f"{change.number}.csv")


@require_GET
@fulfiller_required(agents_only)
def change_export_pdf(request: HttpRequest, number: str) -> HttpResponse:
    change = visible_or_404(signed_in_user(request), number)
    with translation.override("en"):
        pdf = change_pdf(change, generated_by=signed_in_user(request))
    return _attachment(pdf, "application/pdf", f"{change.number}.pdf")
