from django.apps import AppConfig


class SlasConfig(AppConfig):
    name = "plantdesk.slas"
    label = "slas"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.slas.models import LocationSchedule, Schedule, SLADefinition

        clear_on_change(Schedule, SLADefinition, LocationSchedule)
