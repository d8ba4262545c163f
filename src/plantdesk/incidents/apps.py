from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "plantdesk.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from plantdesk.incidents import queries  # registers the permission scope

        del queries
