"""The iCalendar serializer (market.calendar): RFC 5545 escaping, UTC times, folding."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from market.calendar import PRODUCT_ID, ics_event, ics_fold, ics_text, ics_utc

BOGOTA = ZoneInfo("America/Bogota")


def _event(**overrides) -> str:
    values = {
        "uid": "market-7@minga",
        "starts_at": datetime(2031, 3, 16, 15, 30, tzinfo=BOGOTA),
        "ends_at": datetime(2031, 3, 18, 17, 0, tzinfo=BOGOTA),
        "summary": "Mercado campesino de Anorí",
        "location": "Anorí",
        "description": "Mercado campesino abierto a pedidos https://minga.co/mercados/anori/",
        "url": "https://minga.co/mercados/anori/",
        "stamped_at": datetime(2031, 3, 1, 12, 0, 5, tzinfo=UTC),
    }
    return ics_event(**{**values, **overrides})


def _unfold(body: str) -> list[str]:
    """The logical lines of an .ics body (RFC 5545 3.1)."""
    assert body.endswith("\r\n")
    return body[: -len("\r\n")].replace("\r\n ", "").split("\r\n")


def test_one_event_in_one_calendar_every_line_ending_in_crlf():
    body = _event()
    assert "\n" not in body.replace("\r\n", "")
    assert _unfold(body) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "BEGIN:VEVENT",
        "UID:market-7@minga",
        "DTSTAMP:20310301T120005Z",
        "DTSTART:20310316T203000Z",
        "DTEND:20310318T220000Z",
        "SUMMARY:Mercado campesino de Anorí",
        "LOCATION:Anorí",
        "URL:https://minga.co/mercados/anori/",
        "DESCRIPTION:Mercado campesino abierto a pedidos https://minga.co/mercados/anori/",
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def test_times_are_written_in_utc_whatever_their_zone():
    assert ics_utc(datetime(2031, 12, 31, 20, 0, tzinfo=BOGOTA)) == "20320101T010000Z"
    assert ics_utc(datetime(2031, 6, 1, 8, 0, tzinfo=UTC)) == "20310601T080000Z"


def test_texts_escape_backslash_comma_semicolon_and_newline():
    assert ics_text("Anorí, Antioquia; marzo") == r"Anorí\, Antioquia\; marzo"
    assert ics_text("C:\\ruta") == r"C:\\ruta"
    assert ics_text("primera\nsegunda") == r"primera\nsegunda"
    assert ics_text(r"\,") == r"\\\,", "the backslash is escaped first, so it is never doubled twice"
    lines = _unfold(_event(summary="Sol; agua, tierra", location="Vereda El Roble, Anorí"))
    assert "SUMMARY:Sol\\; agua\\, tierra" in lines
    assert "LOCATION:Vereda El Roble\\, Anorí" in lines


def test_the_url_is_written_as_it_is():
    url = "https://minga.co/mercados/anori/?a=1;b=2"
    assert f"URL:{url}" in _unfold(_event(url=url))


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    summary = "Mercado campesino de la Asociación de Productores Agroecológicos " * 4 + "ñandú ó"
    body = _event(summary=summary)
    physical = body[: -len("\r\n")].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical), "the long summary was folded"
    assert f"SUMMARY:{summary}" in _unfold(body)


def test_fold_counts_octets_not_characters():
    line = "X:" + "ñ" * 80  # 2 + 160 octets; ñ is 2 octets in UTF-8
    folded = ics_fold(line).split("\r\n")
    # "X:" + 36 ñ (a 37th would make 76); " " + 37 ñ; " " + the 7 left.
    assert [len(part.encode()) for part in folded] == [74, 75, 15]
    assert "".join(part.removeprefix(" ") if i else part for i, part in enumerate(folded)) == line


def test_a_short_line_is_not_folded():
    assert ics_fold("SUMMARY:Mercado") == "SUMMARY:Mercado"
    assert ics_fold("X" * 75) == "X" * 75
    assert ics_fold("X" * 76) == "X" * 75 + "\r\n X"
