"""Request-level security controls wired in settings: login lockout, two-factor enforcement and
limits on what a request may carry.

- `LockoutBackend` puts django-axes in front of the real password backend, so repeated failed
  logins for one username are refused for a cool-off period (settings AXES_*).
- `TwoFactorMiddleware` sends a signed-in user who must use a second factor (staff of a clinic
  with `require_staff_2fa`, or anyone who enrolled a device) to the verify or enrol page before
  any other page, and refuses their session on the API with 401 until they verify.
- `RequestSizeLimitMiddleware` refuses a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE with 413
  before anything reads it (JSON for the API, a page otherwise).

docs/security.md maps each control to the requirement it meets and the test that proves it.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Paths a half-signed-in user (password ok, second factor pending) may still reach.
TWO_FACTOR_OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/login/",
    "/static/",
    "/healthz",
)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in AUTHENTICATION_BACKENDS.

    Every sign-in through a page passes the request, so axes counts it. Code that authenticates
    without a request (a management command, a test calling `authenticate()` directly) has no
    client to lock out; axes would raise there, so it is skipped and the next backend decides.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None, *args, **kwargs):
    """The "too many attempts" page. It says the same whether or not the account exists."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"Too many sign-in attempts. Try again in {minutes} minutes."}, status=429
        )
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


def needs_second_factor(user) -> tuple[bool, bool]:
    """(must verify, has a confirmed device) for a signed-in user who has not verified yet.

    No query of its own on a signed-in request: the device flags come with the user's row and the
    clinics' `require_staff_2fa` with the roles (both read once per request, always current).
    """
    if user.has_confirmed_device():
        return True, True
    required = any(clinic.require_staff_2fa for clinic in user.staff_clinics().values())
    return required, False


class TwoFactorMiddleware:
    """Enforce the second factor for users who need one (after OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bearer = request.headers.get("Authorization", "").lower().startswith("bearer ")
        if bearer and request.path.startswith("/api/"):
            # A bearer request is its token's alone: the API authenticates the token (a bad one
            # is a 401) and the session cookie sent alongside must not stand in for it, verified
            # or not. So the session's user is set aside here, before any view sees it.
            request.user = AnonymousUser()
            request.clinic = None
            return self.get_response(request)
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(TWO_FACTOR_OPEN_PREFIXES)
        ):
            must_verify, has_device = needs_second_factor(user)
            if must_verify:
                return self._refuse(request, has_device)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, has_device: bool):
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Two-factor verification is required for this session."}, status=401
            )
        target = reverse("two_factor_verify" if has_device else "two_factor_setup")
        nxt = request.get_full_path()
        if request.method == "GET" and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None):
            return redirect(f"{target}?next={nxt}")
        return redirect(target)


class RequestSizeLimitMiddleware:
    """Refuse an oversized body from its declared length, before any view reads it.

    Django refuses an oversized body too, but only when something reads it and with a bare 400;
    this answers 413 with a message the client can act on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = -1
        if declared < 0:
            return self._refuse(request, 400, "The Content-Length header is not a number.")
        if limit is not None and declared > limit:
            return self._refuse(
                request,
                413,
                f"The request is too large ({declared} bytes; the limit is {limit} bytes).",
            )
        return self.get_response(request)

    @staticmethod
    def _refuse(request, status: int, message: str):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=status)
        return render(request, "core/request_refused.html", {"message": message}, status=status)
