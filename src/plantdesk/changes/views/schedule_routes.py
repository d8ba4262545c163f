"""URL patterns of the window and schedule pages (windows, production-run upload, calendar, next free slot)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
