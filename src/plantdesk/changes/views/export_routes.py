"""URL patterns of a change's exports (CSV and PDF with the signature manifestations)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
