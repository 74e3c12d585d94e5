"""CSV downloads: one way to start them and one way to make typed text safe in them."""

import csv
import re

from django.http import HttpResponse

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^\+?\d+$")


def csv_download(filename: str):
    """A CSV attachment response and its writer. UTF-8 with a byte-order mark, so
    spreadsheets read the accents right."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, csv.writer(response)


def inert(value) -> str:
    """Text typed by people goes out inert: a spreadsheet must not run `=HYPERLINK(...)`.
    A plain number, such as an E.164 phone, stays as it is."""
    value = str(value or "")
    if value.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
