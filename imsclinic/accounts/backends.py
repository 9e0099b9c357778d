import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection


class UsernameOrEmailBackend(ModelBackend):
    """Sign in with either the username or the email address (case-insensitive).

    Runs the password hasher even when no account matches, so response time does not reveal
    whether an account exists.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        user_model = get_user_model()
        identifier = username.strip()
        lookup = (
            {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
        )
        try:
            user = user_model._default_manager.get(**lookup)
        except (user_model.DoesNotExist, user_model.MultipleObjectsReturned):
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        return signed_in_user(self, user_id)


def signed_in_user(backend, user_id):
    """A session's user in one query, with whether they have a confirmed second factor.

    The device check rides on the user's own row (two EXISTS subqueries), so the 2FA decision
    costs no query of its own on every request and is never stale: enrolling or removing a device
    is seen by the very next request of every session.

    Plain SQL (through `raw()`, so the row is a real User with its fields converted): this runs
    on every signed-in request, and the ORM spent about 1 ms of CPU building and compiling the
    annotated query, ten times what reading the row costs (docs/performance.md, the floor).
    """
    users = get_user_model()._default_manager.raw(_signed_in_user_sql(), [True, True, user_id])
    user = next(iter(users), None)
    if user is None or not backend.user_can_authenticate(user):
        return None
    user.has_confirmed_totp = bool(user.has_confirmed_totp)
    user.has_confirmed_static = bool(user.has_confirmed_static)
    return user


@functools.cache
def _signed_in_user_sql() -> str:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    quote = connection.ops.quote_name
    user_meta = get_user_model()._meta
    user_table, user_pk = quote(user_meta.db_table), quote(user_meta.pk.column)

    def confirmed_device(model) -> str:
        meta = model._meta
        return (
            # Names from the models' own metadata, values as parameters.
            f"EXISTS (SELECT 1 FROM {quote(meta.db_table)} device "  # noqa: S608
            f"WHERE device.{quote(meta.get_field('user').column)} = u.{user_pk} "
            f"AND device.{quote(meta.get_field('confirmed').column)} = %s)"
        )

    return (
        f"SELECT u.*, {confirmed_device(TOTPDevice)} AS has_confirmed_totp, "  # noqa: S608
        f"{confirmed_device(StaticDevice)} AS has_confirmed_static "
        f"FROM {user_table} u WHERE u.{user_pk} = %s"
    )
