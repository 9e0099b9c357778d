"""Input that cannot be stored or computed with is refused up front with a clear 4xx.

- Control characters: NUL cannot be stored by PostgreSQL at all, and no field of ours has a use
  for the other C0/C1 control characters (tab, CR and LF excepted). `RejectUnsafeInputMiddleware`
  refuses them (400, a page or JSON) in the path, query values, form fields and in any string or
  key of a JSON body, before any form, schema or importer sees the request.
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
from pydantic import AfterValidator, BeforeValidator

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
MAX_JSON_DEPTH = 32

# C0 controls except tab, LF and CR; DEL; C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CONTROL_MESSAGE = "Text may not contain control characters (such as NUL)."
DATE_RANGE_MESSAGE = (
    f"Use a date between {EARLIEST_DATE:%Y-%m-%d} and {LATEST_DATE:%Y-%m-%d}, written YYYY-MM-DD."
)


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


ApiDate = Annotated[
    datetime.date, BeforeValidator(_written_as_iso_date), AfterValidator(date_in_range)
]
ApiDateTime = Annotated[datetime.datetime, AfterValidator(date_in_range)]


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


def refuse(request, message: str, status: int = 400):
    """A clear refusal: JSON under /api/, the "request refused" page otherwise."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return render(request, "core/request_refused.html", {"message": message}, status=status)


class RejectUnsafeInputMiddleware:
    """400 for a control character in the path, a query value or a form field, or for a JSON
    body that is nested too deep or holds a control character in any string."""

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


def json_problem(data, *, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why a decoded JSON value is refused (too deep, control characters), or None."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return f"The JSON body is nested more than {limit} levels deep."
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and has_control_characters(key):
                    return CONTROL_MESSAGE
                stack.append((item, depth + 1))
        elif isinstance(value, str) and has_control_characters(value):
            return CONTROL_MESSAGE
    return None
