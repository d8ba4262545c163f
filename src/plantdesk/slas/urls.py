from django.urls import path

from plantdesk.slas import views

app_name = "slas"

urlpatterns = [
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/new/", views.schedule_edit, name="schedule-new"),
    path("schedules/preview/", views.schedule_preview, name="schedule-preview"),
    path("schedules/<str:name>/", views.schedule_edit, name="schedule"),
    path("attainment/", views.attainment, name="attainment"),
]
