from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef


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
    """
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = {"user": OuterRef("pk"), "confirmed": True}
    user = (
        get_user_model()
        ._default_manager.annotate(
            has_confirmed_totp=Exists(TOTPDevice.objects.filter(**devices)),
            has_confirmed_static=Exists(StaticDevice.objects.filter(**devices)),
        )
        .filter(pk=user_id)
        .first()
    )
    return user if user is not None and backend.user_can_authenticate(user) else None
