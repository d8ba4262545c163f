from django.apps import AppConfig


class RequestsConfig(AppConfig):
    name = "plantdesk.requests"
    label = "requests"
    verbose_name = "Service requests"

    def ready(self) -> None:
        # Permission scopes, the approvals this app decides, SLA measuring, labels, jobs.
        from plantdesk.requests import queries, registrations

        del queries
        registrations.register()
