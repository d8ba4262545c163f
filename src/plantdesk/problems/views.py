"""The agent UI for problems: list (with candidates), problem page, transitions, links, known error."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
