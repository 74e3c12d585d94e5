"""iCalendar files (RFC 5545): one event a buyer can put in her phone's calendar.

Pure text, no request and no database, so any page can offer one: today a market's
opening (`cms.markets.storefront_views.market_calendar`). The caller serves it as
`text/calendar; charset=utf-8`.
"""

import datetime

PRODUCT_ID = "-//Minga//Mercados campesinos//ES"


def ics_event(
    *,
    uid: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    summary: str,
    location: str,
    description: str,
    url: str,
    stamped_at: datetime.datetime,
) -> str:
    """A calendar holding one event, as the text of an .ics file.

    Times are aware datetimes, written in UTC; `stamped_at` is when the file is made
    (DTSTAMP). Texts are escaped (`ics_text`), the URL is written as it is, and every
    line is folded to 75 octets and ends with CRLF.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{ics_utc(stamped_at)}",
        f"DTSTART:{ics_utc(starts_at)}",
        f"DTEND:{ics_utc(ends_at)}",
        f"SUMMARY:{ics_text(summary)}",
        f"LOCATION:{ics_text(location)}",
        f"URL:{url}",
        f"DESCRIPTION:{ics_text(description)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(ics_fold(line) + "\r\n" for line in lines)


def ics_utc(value: datetime.datetime) -> str:
    """An aware datetime as an RFC 5545 UTC time: 20310316T203000Z."""
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_text(value) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, comma, semicolon and newline escaped."""
    return str(value).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def ics_fold(line: str) -> str:
    """RFC 5545 3.1: at most 75 octets a line; a continuation starts with a space.

    Folds between characters, never inside a character's UTF-8 bytes.
    """
    parts, current = [], ""
    for char in line:
        if len((current + char).encode()) > (74 if parts else 75):
            parts.append(current)
            current = char
        else:
            current += char
    return "\r\n ".join([*parts, current])
