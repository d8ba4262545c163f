from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "plantdesk.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Registering: the permission scope, the periodic jobs, what the SLA engine measures, the consumers
        # of other apps' domain events, the panel on a CI's page and the labels of the history tab.
        from plantdesk.incidents import jobs, queries, registrations

        del jobs, queries
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.incidents.models import AssignmentRule, PriorityMatrix

        clear_on_change(PriorityMatrix, AssignmentRule)
        registrations.register()
