"""Short dates, in the reader's language: "5 dic. 2025" in Spanish, "5 Dec 2025" in English.

Django's `M` capitalises a month's abbreviation ("5 Dic"); Spanish writes it lowercase, with
its full stop ("5 dic."). The date part of each pattern is therefore a translated string
(context "date format", as `long_date`'s patterns are), which Spanish writes with `b.`
(the lowercase abbreviation). Dates in words ("5 de diciembre") stay `long_date`'s.
"""

import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext


def short_date(
    value, *, year: bool = True, weekday: bool = False, time: bool = False, seconds: bool = False
) -> str:
    """`5 dic. 2025`; without `year` "5 dic."; `weekday` "vie 5 dic."; `time` adds "14:30"
    (with `seconds` "14:30:05"), in Bogotá for an aware datetime."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if weekday:
        pattern = pgettext("date format", "D j M")
    elif year:
        pattern = pgettext("date format", "j M Y")
    else:
        pattern = pgettext("date format", "j M")
    if time or seconds:
        pattern += " H:i:s" if seconds else " H:i"
    return date_format(value, pattern)
