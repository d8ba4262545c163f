"""What the incident page offers for problems: link the incident to a problem, create one from it."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
