"""Input that cannot be stored or computed with is refused up front with a clear 4xx.

- Control characters: NUL cannot be stored by PostgreSQL at all, and pages have no use for the
  other C0/C1 control characters (tab, CR and LF excepted). `RejectUnsafeInputMiddleware` refuses
  them (400, a page or JSON) in the path, query values and form fields, and refuses NUL anywhere
  in a JSON body (strings and keys), before any form, schema or importer sees the request.
  In JSON bodies the other control characters are refused where demographics and identifiers
  are stored: `SafeText` schema fields and `NoControlCharactersMixin` forms (422); the FHIR
  importer checks the chart-number identifier. Other free-text API fields (appointment and
  session notes) store them as sent.
- JSON nesting: no body of ours is deeper than a few levels; the same middleware refuses one
  nested deeper than MAX_JSON_DEPTH (400) before a schema or the FHIR importer walks it.
- Dates: a calendar between EARLIEST_DATE and LATEST_DATE. Year 9999 overflows as soon as a day
  is added to it, and year 1 is never a clinic date. `ApiDate`/`ApiDateTime` enforce this in
  django-ninja schemas and parameters (422; an ApiDate must also be written YYYY-MM-DD, so
  `date=0` is not read as 1970-01-01); `parse_query_date` and `BoundedDateField` do it for pages
  and forms.
"""

import datetime
import json
import re
from typing import Annotated

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import JsonResponse
from django.shortcuts import render
from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
MAX_JSON_DEPTH = 32

# C0 controls except tab, LF and CR; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "Text may not contain control characters (such as NUL)."
NUL_MESSAGE = "Text may not contain the NUL character (\\u0000)."
DATE_RANGE_MESSAGE = (
    f"Use a date between {EARLIEST_DATE:%Y-%m-%d} and {LATEST_DATE:%Y-%m-%d}, written YYYY-MM-DD."
)


# The same rule as a JSON Schema / pydantic pattern, for text fields of API schemas.
NO_CONTROL_CHARACTERS_PATTERN = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
SafeText = Annotated[str, StringConstraints(pattern=NO_CONTROL_CHARACTERS_PATTERN)]


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text))


def date_in_range(value: datetime.date) -> datetime.date:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(DATE_RANGE_MESSAGE)
    return value


def _written_as_iso_date(value):
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(DATE_RANGE_MESSAGE)
        return value.strip()
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    raise ValueError(DATE_RANGE_MESSAGE)


# The OpenAPI schema states the range as a pattern on the year (19xx, 20xx, 21xx).
YEAR_PATTERN = "^(19|20|21)[0-9]{2}-"
ApiDate = Annotated[
    datetime.date,
    BeforeValidator(_written_as_iso_date),
    AfterValidator(date_in_range),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": YEAR_PATTERN + "[0-9]{2}-[0-9]{2}$"}
    ),
]
ApiDateTime = Annotated[
    datetime.datetime,
    AfterValidator(date_in_range),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": YEAR_PATTERN}),
]


def parse_query_date(text: str | None) -> datetime.date | None:
    """A YYYY-MM-DD query value in range; None when blank; ValueError (with a message) otherwise."""
    if not text:
        return None
    try:
        value = datetime.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(DATE_RANGE_MESSAGE) from exc
    return date_in_range(value)


class BoundedDateField(forms.DateField):
    """A form date within EARLIEST_DATE..LATEST_DATE."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators += [
            MinValueValidator(EARLIEST_DATE, message=DATE_RANGE_MESSAGE),
            MaxValueValidator(LATEST_DATE, message=DATE_RANGE_MESSAGE),
        ]


class NoControlCharactersMixin:
    """For a form: every text field is refused if it holds a control character (tab, CR and LF
    excepted). Forms that also serve the API and the FHIR importer (PatientForm) use it, so a
    JSON body is held to the same rule as a page."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if isinstance(value, str) and has_control_characters(value):
                self.add_error(name, CONTROL_MESSAGE)
        return cleaned


def refuse(request, message: str, status: int = 400):
    """A clear refusal: JSON under /api/, the "request refused" page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "core/request_refused.html", {"message": message}, status=status)


class RejectUnsafeInputMiddleware:
    """400 for a control character in the path, a query value or a form field, or for a JSON
    body that is nested too deep or holds NUL in any string or key."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = self._problem(request)
        if problem:
            return refuse(request, problem)
        return self.get_response(request)

    @staticmethod
    def _problem(request) -> str | None:
        if has_control_characters(request.path):
            return CONTROL_MESSAGE
        sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
        for data in sources:
            for key, values in data.lists():
                if has_control_characters(key) or any(
                    isinstance(v, str) and has_control_characters(v) for v in values
                ):
                    return CONTROL_MESSAGE
        if request.method in ("POST", "PUT", "PATCH") and "json" in request.content_type:
            try:
                data = json.loads(request.body)
            except ValueError:
                return None  # malformed JSON: the view answers with its own 4xx
            return json_problem(data)
        return None


def has_nul(text: str) -> bool:
    return "\x00" in text


def json_problem(data, *, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why a decoded JSON value is refused (too deep, a NUL anywhere), or None.

    A JSON body is refused for NUL only (PostgreSQL cannot store it, in text or in jsonb): an
    API body may carry fields the server ignores, so the other control characters are left to
    the schemas and forms of the fields that store text (see the module docstring)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return f"The JSON body is nested more than {limit} levels deep."
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and has_nul(key):
                    return NUL_MESSAGE
                stack.append((item, depth + 1))
        elif isinstance(value, str) and has_nul(value):
            return NUL_MESSAGE
    return None
