"""System checks that guard production from development leftovers."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.security, deploy=True)
def demo_accounts_absent_in_production(app_configs, **kwargs):
    """The demo logins have published passwords; they must never exist in production."""
    if not settings.PRODUCTION:
        return []
    try:
        demo = list(
            get_user_model()
            ._default_manager.filter(is_demo_account=True, is_active=True)
            .values_list("username", flat=True)[:5]
        )
    except DatabaseError:
        return []
    if demo:
        return [
            Error(
                f"Demo accounts with published passwords are active: {', '.join(demo)}.",
                hint="Deactivate them (imsclinic shell) or use a fresh production database.",
                id="imsclinic.E001",
            )
        ]
    return []
