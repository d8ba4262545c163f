"""The project's URLs (composition root): the API, the integrations' endpoints, and every app's pages under
one `ui` namespace, so that templates name a page the same way whichever app serves it."""

from django.urls import URLPattern, URLResolver, include, path

from plantdesk.composition.api import api
from plantdesk.ui import urls as ui_urls

ui_patterns: list[URLPattern | URLResolver] = [
    *ui_urls.urlpatterns,
    path("portal/knowledge/", include("plantdesk.problems.knowledge.portal_urls")),  # before the portal's numbers
    path("portal/", include("plantdesk.requests.portal")),  # catalog/, requests/, approvals/: before the numbers
    path("portal/", include("plantdesk.incidents.portal_urls")),
    path("incidents/", include("plantdesk.incidents.urls")),
    path("cmdb/", include("plantdesk.cmdb.urls")),
    path("service-levels/", include("plantdesk.slas.urls")),
    path("events/", include("plantdesk.events.urls")),
    path("changes/", include("plantdesk.changes.urls")),
    path("problems/", include("plantdesk.problems.urls")),
    path("knowledge/", include("plantdesk.problems.knowledge.urls")),
    path("requests/", include("plantdesk.requests.views")),
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("integrations/", include("plantdesk.events.integrations.urls")),
    path("", include((ui_patterns, "ui"))),
]
