"""Turning Django form errors into the API's 422 shape (the same shape ninja uses)."""

from ninja.errors import ValidationError


def raise_form_errors(form, *, location: str = "body") -> None:
    """Raise a 422 listing each field's messages, e.g. {"loc": ["body", "phone"], "msg": ...}."""
    errors = [
        {"loc": [location, field], "msg": str(message), "type": "value_error"}
        for field, messages in form.errors.items()
        for message in messages
    ]
    raise ValidationError(errors)


def database_busy(request, exc, *, api):
    """503 "busy, try again" for a write that kept conflicting with others (see core.db), so
    contention is never a server error, in DEBUG too. Other database errors stay errors."""
    from imsclinic.core.db import DatabaseBusy, is_conflict
    from imsclinic.core.middleware import DatabaseBusyMiddleware

    if not is_conflict(exc):
        raise exc
    response = api.create_response(request, {"detail": DatabaseBusy.message}, status=503)
    response["Retry-After"] = str(DatabaseBusyMiddleware.RETRY_AFTER_SECONDS)
    return response
