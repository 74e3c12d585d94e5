"""Phone numbers in E.164 (+57...), the form WhatsApp links and SMS gateways need."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


def normalize_phone(raw: str) -> str:
    """Return `raw` in E.164, reading a bare 10-digit number as Colombian (+57).

    Spaces, dots, dashes and brackets are ignored. Raises ValidationError when the
    result is not a plausible E.164 number.
    """
    cleaned = re.sub(r"[\s.\-()]", "", raw or "")
    if not cleaned:
        return ""
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    elif not cleaned.startswith("+"):
        if len(cleaned) == 10 and cleaned[0] in "36":
            cleaned = "+57" + cleaned
        elif len(cleaned) == 12 and cleaned.startswith("57"):
            cleaned = "+" + cleaned
    validate_e164(cleaned)
    return cleaned


def validate_e164(value: str) -> None:
    if value and not E164.match(value):
        raise ValidationError(
            _("Enter the number in international format, e.g. +573001234567."),
            code="invalid_phone",
        )


def whatsapp_link(e164: str) -> str:
    return f"https://wa.me/{e164.lstrip('+')}" if e164 else ""
