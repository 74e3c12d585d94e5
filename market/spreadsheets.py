"""CSV downloads: one way to start them and one way to make typed text safe in them.

They open right in a Colombian Excel or LibreOffice with a double click: UTF-8 with a
byte-order mark (accents), semicolons between cells (a Spanish-locale spreadsheet takes the
comma for the decimal sign, so it splits only on semicolons), decimals with a comma
(`2,5`), whole pesos without grouping (`12500`, a number it can add up).
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
    A plain number, such as an E.164 phone, stays as it is."""
    value = str(value or "")
    if value.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
