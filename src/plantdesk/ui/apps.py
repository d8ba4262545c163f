from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "plantdesk.ui"
    label = "ui"
    verbose_name = "User interface"
