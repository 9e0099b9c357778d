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
    """The client address: REMOTE_ADDR, or behind a trusted proxy (IMSCLINIC_TRUST_X_FORWARDED_FOR)
    the last X-Forwarded-For entry, the one that proxy appended. Earlier entries come from the
    client and could be anything, so they are never used."""
    from django.conf import settings

    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        ]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
