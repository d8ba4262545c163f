from django.urls import include, path

from plantdesk.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("integrations/", include("plantdesk.events.integrations.urls")),
    path("", include("plantdesk.ui.urls")),
]
