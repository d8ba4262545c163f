from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "plantdesk.ui"
    label = "ui"
    verbose_name = "User interface"

    def ready(self) -> None:
        from plantdesk.core.choices import Level, SignatureMeaning
        from plantdesk.ui import labels, lookups

        lookups.register()
        labels.register_value_labels("meaning", dict(SignatureMeaning.choices))
        for field in ("impact", "urgency"):
            labels.register_value_labels(field, {str(value): label for value, label in Level.choices})
