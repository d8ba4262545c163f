"""URL patterns of the window and schedule pages (windows, production-run upload, calendar, next free slot).

Listed before the change routes (see changes/urls.py) so that `windows/` and `schedule/` are never read as
change numbers.
"""

from __future__ import annotations

from django.urls import URLPattern, path

from plantdesk.changes.views import schedule, windows

urlpatterns: list[URLPattern] = [
    path("windows/", windows.windows, name="windows"),
    path("windows/new/", windows.window_new, name="window-new"),
    path("windows/maintenance/", windows.window_maintenance, name="window-maintenance"),
    path("windows/<int:window_id>/deactivate/", windows.window_deactivate, name="window-deactivate"),
    path("windows/production-runs/upload/", windows.production_runs_upload, name="production-runs-upload"),
    path("schedule/", schedule.schedule_view, name="schedule"),
    path("schedule/next-slot/", schedule.next_slot, name="next-slot"),
]
