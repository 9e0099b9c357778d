"""Files the app hands out: one CSV writer with a formula guard, one Content-Disposition helper.

CSV: a cell that a spreadsheet would run as a formula (starting with = + - @, a tab, CR or LF,
after any leading spaces) gets a leading apostrophe, so text typed by a patient or a colleague
(a practitioner named `=HYPERLINK(...)`) cannot execute in Excel or LibreOffice. Numbers,
negative ones included, stay numbers. Every CSV the app writes goes through `csv_writer`.

Filenames: `attachment(response, name)` sanitises the name (no control characters such as CR/LF,
no path separators) and writes the header the RFC 6266 way through Django's
`content_disposition_header` (an RFC 5987 `filename*` for non-ASCII), so a chart number holding
a line break cannot split the header.
"""

import csv
import json
import re
import unicodedata

from django.utils.http import content_disposition_header

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
FALLBACK_FILENAME = "download"
MAX_FILENAME_LENGTH = 150


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value) -> str:
    """The text of one CSV cell, with a formula guard."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_START) and not _is_number(text.strip()):
        return "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell passes through `safe_cell`."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(handle, **options) -> SafeCsvWriter:
    return SafeCsvWriter(handle, **options)


def safe_filename(name: str) -> str:
    """A download name without control characters, path separators or surrounding dots/spaces."""
    cleaned = "".join(
        " " if unicodedata.category(ch).startswith("C") else ch for ch in str(name or "")
    )
    cleaned = re.sub(r"[\\/]+", "-", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .")
    return cleaned[:MAX_FILENAME_LENGTH] or FALLBACK_FILENAME


def attachment(response, filename: str, *, inline: bool = False):
    """Set Content-Disposition on `response` for a sanitised `filename`; returns the response."""
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=safe_filename(filename)
    )
    return response
