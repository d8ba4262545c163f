from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "plantdesk.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # Registering: the permission scope and the periodic jobs.
        from plantdesk.incidents import jobs, queries

        del jobs, queries
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.incidents.models import AssignmentRule, PriorityMatrix

        clear_on_change(PriorityMatrix, AssignmentRule)
