from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "imsclinic.accounts"
    label = "accounts"

    def ready(self):
        from imsclinic.accounts import admin_audit  # noqa: F401  (audits Django admin changes)
