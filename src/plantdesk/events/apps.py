from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "plantdesk.events"
    label = "events"
    verbose_name = "MES / OT events"

    def ready(self) -> None:
        from plantdesk.core.config_cache import clear_on_change
        from plantdesk.events import queries  # noqa: F401 (registers the permission scopes)
        from plantdesk.events.integrations import alertmanager, pagerduty  # noqa: F401 (their replay normalisers)
        from plantdesk.events.models import AlertRule, MappingRule
        from plantdesk.events.registrations import register

        clear_on_change(AlertRule, MappingRule)
        register()  # the alarms panel of the incident page
