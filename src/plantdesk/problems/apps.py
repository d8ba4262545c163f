from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "plantdesk.problems"
    label = "problems"
    verbose_name = "Problems and knowledge"

    def import_models(self) -> None:
        # The knowledge base's models live in their own package under this app label; importing them here
        # (Django's models phase) keeps problems.models free of an import of the package that uses it.
        super().import_models()
        from plantdesk.problems.knowledge import models

        del models

    def ready(self) -> None:
        # The permission scopes, the consumers of other apps' events, panels and labels.
        from plantdesk.problems import queries, registrations

        del queries
        registrations.register()
