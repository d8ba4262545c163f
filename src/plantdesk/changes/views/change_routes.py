"""URL patterns of the change pages (list, form, detail, CAB agenda, export)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
