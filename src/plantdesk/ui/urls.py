from django.contrib.auth import views as auth_views
from django.urls import include, path

from plantdesk.ui import portal, views

app_name = "ui"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", portal.my_incidents, name="portal"),
    path("portal/new/", portal.raise_incident, name="portal-new"),
    path("portal/<str:number>/", portal.detail, name="portal-detail"),
    path("portal/<str:number>/comment/", portal.comment, name="portal-comment"),
    path("portal/<str:number>/transition/", portal.transition, name="portal-transition"),
    path("incidents/", include("plantdesk.incidents.urls")),
    path("cmdb/", include("plantdesk.cmdb.urls")),
    path("service-levels/", include("plantdesk.slas.urls")),
    path("events/", include("plantdesk.events.urls")),
    path("changes/", include("plantdesk.changes.urls")),
]
