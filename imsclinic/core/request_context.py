"""Who is acting, and from where, for the duration of one request.

The audit layer reads this so that actions called from views record the client address without
every action growing `request=` parameters. Commands and tests run with an empty context.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""


_EMPTY = RequestContext()
_current: ContextVar[RequestContext | None] = ContextVar("imsclinic_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or _EMPTY


def set_current(context: RequestContext):
    return _current.set(context)


def reset(token) -> None:
    _current.reset(token)


def client_ip(request) -> str | None:
    """The client address. Behind a trusted proxy, set IMSCLINIC_TRUST_X_FORWARDED_FOR."""
    from django.conf import settings

    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")
