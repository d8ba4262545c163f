"""The NinjaAPI instance under /api/v1: authentication, error mapping, router registration."""

from __future__ import annotations

from ninja import NinjaAPI

from plantdesk.api.auth import ActiveSessionAuth, BearerTokenAuth
from plantdesk.api.docs import ApiDocs
from plantdesk.api.errors import install_error_handlers
from plantdesk.changes.api import approvals_router, changes_router
from plantdesk.changes.schedule_api import schedule_router
from plantdesk.changes.windows_api import windows_router
from plantdesk.cmdb.api import cis_router, classes_router, relationships_router
from plantdesk.events.alerts_api import alerts_router, maintenance_router, silences_router
from plantdesk.events.api import events_router
from plantdesk.events.incident_alerts_api import incident_alerts_router
from plantdesk.events.rules_api import alert_rules_router, mapping_rules_router
from plantdesk.incidents.api import router as incidents_router
from plantdesk.problems.api import router as problems_router
from plantdesk.problems.knowledge.api import knowledge_router
from plantdesk.problems.known_errors_api import known_errors_router
from plantdesk.requests.api import catalog_router, grants_router, items_router, requests_router, tasks_router
from plantdesk.slas.api import definitions_router, schedules_router

api = NinjaAPI(
    title="PlantDesk API",
    version="1",
    description="IT service management for manufacturing and regulated plants.",
    urls_namespace="api",
    auth=[BearerTokenAuth(), ActiveSessionAuth()],
    docs_url="/docs",
    docs=ApiDocs(),
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/incidents", incidents_router)
api.add_router("/incidents", incident_alerts_router)
api.add_router("/cis", cis_router)
api.add_router("/ci-classes", classes_router)
api.add_router("/relationships", relationships_router)
api.add_router("/schedules", schedules_router)
api.add_router("/sla-definitions", definitions_router)
api.add_router("/events", events_router)
api.add_router("/alerts", alerts_router)
api.add_router("/silences", silences_router)
api.add_router("/maintenance-windows", maintenance_router)
api.add_router("/alert-rules", alert_rules_router)
api.add_router("/mapping-rules", mapping_rules_router)
api.add_router("/problems", problems_router)
api.add_router("/changes", changes_router)
api.add_router("/approvals", approvals_router)
api.add_router("/windows", windows_router)
api.add_router("/schedule", schedule_router)
api.add_router("/known-errors", known_errors_router)
api.add_router("/knowledge", knowledge_router)
api.add_router("/catalog", catalog_router)
api.add_router("/requests", requests_router)
api.add_router("/request-items", items_router)
api.add_router("/tasks", tasks_router)
api.add_router("/access-grants", grants_router)
