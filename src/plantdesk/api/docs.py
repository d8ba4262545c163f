"""The interactive API documentation (Swagger UI at /api/v1/docs) as a PlantDesk page: a way back to the
application, and served under the site's Content-Security-Policy as it is (no relaxation for this view)."""

from __future__ import annotations

from ninja.openapi.docs import Swagger


class ApiDocs(Swagger):
    """django-ninja's Swagger page with our own template: it loads Swagger UI and ninja's start-up script from
    static files (ninja ships them; its settings travel as a JSON data block, not a script), so no inline
    script or style is needed, and it adds the bar with the link back to PlantDesk."""

    template = "api/docs.html"
