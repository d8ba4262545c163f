from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plantdesk.core"
    label = "core"
    verbose_name = "PlantDesk core"

    def ready(self) -> None:
        from plantdesk.core import jobs  # registers the outbox purge
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.core.models import ChoiceOption

        del jobs

        clear_on_change(ChoiceOption)
