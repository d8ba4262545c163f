from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "plantdesk.accounts"
    label = "accounts"
    verbose_name = "Accounts"
