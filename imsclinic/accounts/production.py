"""Production never runs with the demo logins, whose passwords are published in the README.

`refuse_demo_accounts` is called by `imsclinic serve` before it starts the server and by the WSGI
module when a worker loads the app, so a production process with active demo accounts exits with
this message instead of serving. `imsclinic serve` and `imsclinic demo` never create them in
production (web.demo.build_demo refuses too).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


def active_demo_usernames() -> list[str]:
    from imsclinic.accounts.models import User

    try:
        return list(
            User.objects.filter(is_demo_account=True, is_active=True)
            .order_by("username")
            .values_list("username", flat=True)[:10]
        )
    except DatabaseError:  # not migrated yet: there are no accounts at all
        return []


def refuse_demo_accounts() -> None:
    if not settings.PRODUCTION:
        return
    names = active_demo_usernames()
    if names:
        raise ImproperlyConfigured(
            f"Production refuses to start: demo accounts with published passwords are active "
            f"({', '.join(names)}). Deactivate them or use a fresh production database."
        )


def refuse_demo_data() -> None:
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo data is never created in production (IMSCLINIC_ENV).")
