"""The requester portal's routes (mounted at /portal/ in the UI namespace by the project's URLs)."""

from django.urls import path

from plantdesk.incidents import portal

urlpatterns = [
    path("", portal.my_incidents, name="portal"),
    path("new/", portal.raise_incident, name="portal-new"),
    path("<str:number>/", portal.detail, name="portal-detail"),
    path("<str:number>/comment/", portal.comment, name="portal-comment"),
    path("<str:number>/transition/", portal.transition, name="portal-transition"),
]
