"""URL patterns of the change pages (list, form, detail, CAB agenda) and their posts."""

from __future__ import annotations

from django.urls import URLPattern, path

from plantdesk.changes.views import cab, changes, suggest

urlpatterns: list[URLPattern] = [
    path("", changes.change_list, name="list"),
    path("new/", changes.change_new, name="new"),
    path("cab/", cab.cab_agenda, name="cab"),
    path("templates/suggest/", suggest.templates, name="suggest-templates"),
    path("suggest/", suggest.changes, name="suggest"),
    path("<str:number>/", changes.change_detail, name="detail"),
    path("<str:number>/edit/", changes.change_edit, name="edit"),
    path("<str:number>/transition/", changes.change_transition, name="transition"),
    path("<str:number>/sign/", changes.change_sign, name="sign"),
    path("<str:number>/override/", changes.change_override, name="override"),
    path("<str:number>/conflicts/check/", changes.conflicts_check, name="check-conflicts"),
    path("<str:number>/approvals/<int:approval_id>/decide/", changes.approval_decide, name="decide"),
    path("<str:number>/tasks/<int:task_id>/", changes.task_update, name="task"),
    path("<str:number>/caused-incidents/", changes.caused_incident_link, name="link-incident"),
]
