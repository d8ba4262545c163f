from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "plantdesk.core"
    label = "core"
    verbose_name = "PlantDesk core"
