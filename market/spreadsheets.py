"""CSV downloads: one way to start them and one way to make typed text safe in them.

They open right in a Colombian Excel or LibreOffice with a double click: UTF-8 with a
byte-order mark (accents), semicolons between cells (a Spanish-locale spreadsheet takes the
comma for the decimal sign, so it splits only on semicolons), decimals with a comma
(`2,5`), whole pesos without grouping (`12500`, a number it can add up), phones as text
(`phone_text`).
"""

import csv
import re
from decimal import Decimal

from django.http import HttpResponse

from market.units import format_quantity

DELIMITER = ";"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^\+?\d+$")


class SpreadsheetWriter:
    """`csv.writer` with semicolons, writing a Decimal with a decimal comma."""

    def __init__(self, stream):
        self._writer = csv.writer(stream, delimiter=DELIMITER)

    def writerow(self, row):
        return self._writer.writerow([cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def cell(value):
    """One value as a Colombian spreadsheet reads it: `Decimal("2.500")` -> `2,5`."""
    if isinstance(value, (Decimal, float)):
        return format_quantity(Decimal(str(value)))
    return value


def csv_download(filename: str):
    """A CSV attachment response and its writer (a `SpreadsheetWriter`)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response, SpreadsheetWriter(response)


def inert(value) -> str:
    """Text typed by people goes out inert: a spreadsheet must not run `=HYPERLINK(...)`.
    A plain number stays as it is (a phone goes out through `phone_text`)."""
    value = str(value or "")
    if value.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def phone_text(value) -> str:
    """A phone as text a spreadsheet keeps: `="+573001234567"`. Written plain, Excel reads
    `+573001234567` as the number 573001234567 (the + gone, shown as 5,73E+11) and drops a
    leading zero. Only a plain number gets the formula (nothing else can run in it); any
    other text goes out `inert`."""
    value = str(value or "")
    if _PLAIN_NUMBER.match(value):
        return f'="{value}"'
    return inert(value)
