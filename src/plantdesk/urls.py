from django.urls import include, path

from plantdesk.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("plantdesk.ui.urls")),
]
