from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "plantdesk.events"
    label = "events"
    verbose_name = "MES / OT events"
