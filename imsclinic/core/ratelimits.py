"""Rate limits on what anyone can submit, built on django-ratelimit (settings RATE_LIMITS).

- `rate_limited(group, key=...)` decorates a view: past the group's rate it answers 429 (a page,
  or JSON under /api/) with a Retry-After header, before the view runs, so nothing is saved.
  Stack it to limit by several keys (per address and per email address, for example).
- `ApiRateThrottle` is a django-ninja throttle: one budget per API token (per signed-in user for
  the browser session), mounted on the whole API.

Counts live in the Django cache: Redis when IMSCLINIC_CACHE_URL is a redis:// URL (shared by every
worker and server), otherwise each worker process's memory (a limit then applies per worker).
"""

import functools

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from ninja.throttling import BaseThrottle

PERIOD_WORDS = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}


def _rate(group, request) -> str:
    return settings.RATE_LIMITS[group]


def too_many_requests(request, *, retry_after: int):
    minutes = max(1, round(retry_after / 60))
    message = f"Too many requests from you in a short time. Please try again in {minutes} minute"
    message += "s." if minutes != 1 else "."
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "core/too_many_requests.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def over_limit(request, *, group: str, key) -> int | None:
    """Count this request against `group`; the seconds to wait if it is over the limit."""
    usage = get_usage(request, group=group, key=key, rate=_rate, increment=True)
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, int(usage["time_left"]))


def rate_limited(group: str, *, key="ip", methods: tuple[str, ...] = ("POST",)):
    """Limit `methods` requests to the view by `key` ("ip", "post:email", or a callable taking
    (group, request)) at the rate settings.RATE_LIMITS[group]."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                wait = over_limit(request, group=group, key=key)
                if wait is not None:
                    return too_many_requests(request, retry_after=wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _api_caller(group, request) -> str:
    token = getattr(request, "api_token", None)
    if token is not None:
        return f"token:{token.pk}"
    return f"user:{request.user.pk}"


class ApiRateThrottle(BaseThrottle):
    """django-ninja throttle: settings.RATE_LIMITS["api"] per token (ninja answers 429 JSON)."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request) -> bool:
        self._wait = over_limit(request, group="api", key=_api_caller)
        return self._wait is None

    def wait(self):
        return self._wait
