"""Authentication for the JSON API: a bearer token, or the browser session.

Usage in a router: `Router(auth=api_auth)`, and operations load records through
`gateway.records.api_loads` (staff check, token scope, clinic scope, role, access log).

Two rules, both for the second factor's sake:
- A request that carries `Authorization: Bearer ...` is the token's alone. An unknown, revoked or
  expired token is a 401, never a fall back to the session cookie sent alongside.
- The session path obeys the same second-factor rule as pages: a session that signed in with the
  password only, where a second factor is required, is a 401 until it verifies.
"""

from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer, SessionAuth

from imsclinic.core.security import needs_second_factor
from imsclinic.gateway.models import ApiToken, hash_token

# Throttle last-used writes: a token used 100 times a minute should not write 100 times.
LAST_USED_RESOLUTION_SECONDS = 300


class InvalidToken(AuthenticationError):
    def __init__(self):
        super().__init__(401, "The bearer token is not valid: unknown, expired or revoked.")


def has_bearer_header(request) -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        if not token or len(token) > 200:
            raise InvalidToken
        api_token = (
            ApiToken.objects.usable()
            .select_related("user", "clinic")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            raise InvalidToken
        now = timezone.now()
        if (
            api_token.last_used_at is None
            or (now - api_token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
        ):
            type(api_token).objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        request.api_token = api_token
        return api_token


class StaffSession(SessionAuth):
    """The browser session, for staff pages that call the API with htmx/fetch (CSRF-checked)."""

    def __call__(self, request):
        if has_bearer_header(request):
            # The token decided already (and a bad one answered 401); the session has no say.
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if not user:
            return None
        if not user.is_verified() and needs_second_factor(user)[0]:
            raise AuthenticationError(401, "Two-factor verification is required for this session.")
        request.api_token = None
        return user


api_auth = [BearerToken(), StaffSession()]


def require_scope(request, scope: str) -> None:
    """Refuse (403) an integration token that lacks `scope`; personal tokens pass."""
    token = getattr(request, "api_token", None)
    if token is not None and not token.allows(scope):
        raise HttpError(403, f"This token lacks the '{scope}' scope.")


def require_staff(request) -> None:
    if not request.user.is_clinic_staff:
        raise HttpError(403, "The API is for clinic staff.")
