from django.urls import path

from plantdesk.incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/edit/", views.update, name="update"),
    path("<str:number>/transition/", views.transition, name="transition"),
    path("<str:number>/comment/", views.comment, name="comment"),
    path("<str:number>/communicate/", views.communicate, name="communicate"),
]
