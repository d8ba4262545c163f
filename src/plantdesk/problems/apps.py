from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "plantdesk.problems"
    label = "problems"
    verbose_name = "Problems and knowledge"

    def ready(self) -> None:
        # The permission scopes, the consumers of other apps' events, panels and labels.
        from plantdesk.problems import queries, registrations

        del queries
        registrations.register()
