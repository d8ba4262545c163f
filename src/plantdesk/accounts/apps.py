from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "plantdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from plantdesk.accounts.directory import register_scopes
        from plantdesk.accounts.models import AssignmentGroup, Site
        from plantdesk.core.config_cache import clear_on_change

        clear_on_change(AssignmentGroup, Site)
        register_scopes()
