"""What django-axes counts failed sign-ins against (settings AXES_*_CALLABLE).

Lockout counts the account's username together with the client address. The sign-in form takes a
username or an email address, so the identifier is first resolved to the account's username:
five wrong passwords typed as "alice", "ALICE" or "alice@example.org" are five failures of one
counter. An identifier that matches no account is counted as typed (lower-cased), so the lockout
behaves the same for real and unknown accounts.
"""

from django.contrib.auth import get_user_model

from imsclinic.core.request_context import client_ip


def login_identifier(value: str) -> str:
    """The lockout key for what was typed in the "Username or email" field."""
    identifier = str(value or "").strip()[:254]
    if not identifier:
        return ""
    lookup = (
        {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
    )
    usernames = list(
        get_user_model()._default_manager.filter(**lookup).values_list("username", flat=True)[:2]
    )
    if len(usernames) == 1:
        return usernames[0].lower()
    return identifier.lower()


def lockout_username(request, credentials) -> str:
    if credentials and credentials.get("username"):
        value = credentials["username"]
    else:
        value = request.POST.get("username", "") if request is not None else ""
    return login_identifier(value)


def lockout_client_ip(request) -> str:
    return client_ip(request) or ""
