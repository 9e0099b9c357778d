"""Per-request context: client address, session timeouts and the active clinic."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from imsclinic.core import request_context

LAST_SEEN_KEY = "_imsclinic_last_seen"
AUTH_AT_KEY = "_imsclinic_auth_at"
ACTIVE_CLINIC_KEY = "active_clinic_id"
# Writing the session on every request would turn every page view into a database write; a
# minute's resolution is plenty for a 30-minute idle timeout.
LAST_SEEN_RESOLUTION_SECONDS = 60


class ActiveClinicMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_context.set_current(
            request_context.RequestContext(
                ip_address=request_context.client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
                path=request.path,
            )
        )
        try:
            expired = self._enforce_session_limits(request)
            if expired:
                return expired
            self._set_active_clinic(request)
            if request.clinic is not None:
                # Staff see times in their clinic's zone; storage stays UTC.
                timezone.activate(request.clinic.tz)
            return self.get_response(request)
        finally:
            timezone.deactivate()
            request_context.reset(token)

    def _enforce_session_limits(self, request):
        if not request.user.is_authenticated:
            return None
        session = request.session
        now = time.time()
        auth_at = session.get(AUTH_AT_KEY)
        last_seen = session.get(LAST_SEEN_KEY)
        if auth_at is None:
            session[AUTH_AT_KEY] = now
            auth_at = now
        idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        absolute_limit = settings.SESSION_ABSOLUTE_LIFETIME_HOURS * 3600
        if (
            last_seen is not None and now - last_seen > idle_limit
        ) or now - auth_at > absolute_limit:
            logout(request)
            messages.info(request, "You were signed out after a period of inactivity.")
            if request.path.startswith("/api/"):
                return None
            return redirect(f"{reverse('login')}?next={request.path}")
        if last_seen is None or now - last_seen > LAST_SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN_KEY] = now
        return None

    def _set_active_clinic(self, request):
        request.clinic = None
        user = request.user
        if not user.is_authenticated:
            return
        # The clinics come with the roles (one query per request, see User.staff_clinics).
        clinics = user.staff_clinics()
        if not clinics:
            return
        wanted = request.session.get(ACTIVE_CLINIC_KEY)
        clinic_id = wanted if wanted in clinics else min(clinics)
        request.clinic = clinics[clinic_id]
        if wanted != clinic_id:
            request.session[ACTIVE_CLINIC_KEY] = clinic_id


def try_again_response(request, failure, *, retry_after: int):
    """503 "nothing was saved, try again" for a failure class with `message` (the API's JSON)
    and `page_message` (the layout's "request refused" page), with Retry-After."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": failure.message}, status=503)
    else:
        response = render(
            request, "core/request_refused.html", {"message": failure.page_message}, status=503
        )
    response["Retry-After"] = str(retry_after)
    return response


class DatabaseBusyMiddleware:
    """A write that still conflicted after its retries (core.db.write_transaction), or a database
    conflict in a write that is not wrapped, is "busy, try again" (503), never a server error.

    Nothing was saved: the transaction rolled back as a whole. The API answers JSON; pages answer
    the layout's "request refused" page.
    """

    RETRY_AFTER_SECONDS = 2

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from imsclinic.core.db import DatabaseBusy, is_conflict

        if not is_conflict(exception):
            return None
        return try_again_response(request, DatabaseBusy, retry_after=self.RETRY_AFTER_SECONDS)


class PrintingFailedMiddleware:
    """A PDF whose render process stopped before it finished (core.printing.PrintingFailed) is
    "could not be printed, try again" (503), never a server error. Nothing was saved: every print
    happens before its action records anything. The next print starts a fresh render process.
    """

    RETRY_AFTER_SECONDS = 2

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from imsclinic.core.printing import PrintingFailed

        if not isinstance(exception, PrintingFailed):
            return None
        return try_again_response(request, PrintingFailed, retry_after=self.RETRY_AFTER_SECONDS)
