from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "plantdesk.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from plantdesk.changes import queries, registrations  # queries registers the permission scopes

        del queries
        registrations.register()
