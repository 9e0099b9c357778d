from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "imsclinic.accounts"
    label = "accounts"
