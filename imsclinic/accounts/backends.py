from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


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
    """A session's user in one query, with what the 2FA check needs (see UserManager.signed_in)."""
    user = get_user_model()._default_manager.signed_in(user_id)
    return user if user is not None and backend.user_can_authenticate(user) else None
