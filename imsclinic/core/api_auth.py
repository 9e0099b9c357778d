"""Authentication for the JSON API: a bearer token or the browser session.

Usage in a router:  `@router.get("/x", auth=api_auth)` and, for integration-token scopes,
`require_scope(request, "read")` at the top of the operation. After authentication
`request.user` is the acting user, so the UI's permission-aware getters work unchanged.
"""

from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

# Throttle last-used writes: a token used 100 times a minute should not write 100 times.
LAST_USED_RESOLUTION_SECONDS = 300


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        from imsclinic.interop.models import ApiToken, hash_token

        if not token or len(token) > 200:
            return None
        api_token = (
            ApiToken.objects.usable()
            .select_related("user", "clinic")
            .filter(token_hash=hash_token(token))
            .first()
        )
        if api_token is None or not api_token.user.is_active:
            return None
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

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user:
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
