"""Colombian NIT (tax id) with its DIAN check digit (modulo 11 with fixed weights)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71)


def nit_check_digit(number: str) -> int:
    """Check digit of the NIT body `number` (digits only, at most 15)."""
    if not (number.isascii() and number.isdigit()) or len(number) > len(_WEIGHTS):
        raise ValueError("NIT body must be 1 to 15 digits")
    total = sum(int(d) * w for d, w in zip(reversed(number), _WEIGHTS, strict=False))
    remainder = total % 11
    return remainder if remainder in (0, 1) else 11 - remainder


def normalize_nit(raw: str) -> str:
    """Return the NIT as `body-digit` (e.g. `900123456-8`), or raise ValidationError.

    Accepts dots, spaces and an optional dash before the check digit; the check digit
    is required and must match.
    """
    text = re.sub(r"[\s.]", "", raw or "")
    # ASCII digits only: `\d` would also take full-width or Arabic-Indic digits and store them.
    match = re.fullmatch(r"([0-9]{6,15})-?([0-9])", text)
    if not match:
        raise ValidationError(
            _("Enter the NIT with its check digit, e.g. 900.123.456-8."), code="invalid_nit"
        )
    body, digit = match.groups()
    if nit_check_digit(body) != int(digit):
        raise ValidationError(
            _("The NIT check digit does not match. Check the number."), code="nit_check_digit"
        )
    return f"{body}-{digit}"


def format_nit(nit: str) -> str:
    """`900123456-8` -> `900.123.456-8`, as NITs are printed on Colombian invoices."""
    if not nit:
        return ""
    body, _sep, digit = nit.partition("-")
    if not body.isdigit():
        return nit
    grouped = f"{int(body):,}".replace(",", ".")
    return f"{grouped}-{digit}" if digit else grouped


def validate_nit(value: str) -> None:
    if value:
        normalize_nit(value)
