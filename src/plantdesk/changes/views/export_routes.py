"""URL patterns of a change's exports (CSV and PDF with the signature manifestations)."""

from __future__ import annotations

from django.urls import URLPattern, path

from plantdesk.changes.views import export

urlpatterns: list[URLPattern] = [
    path("<str:number>/export.csv", export.change_export_csv, name="export-csv"),
    path("<str:number>/export.pdf", export.change_export_pdf, name="export-pdf"),
]
