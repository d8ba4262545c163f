from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "plantdesk.api"
    label = "api"
    verbose_name = "REST API"
