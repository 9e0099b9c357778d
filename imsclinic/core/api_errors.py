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
