from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "plantdesk.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from plantdesk.changes import queries  # registers the permission scopes
        from plantdesk.changes.choices import State
        from plantdesk.changes.models import RECORD_TYPE
        from plantdesk.ui import labels

        del queries
        labels.register_state_labels(RECORD_TYPE, dict(State.choices))
