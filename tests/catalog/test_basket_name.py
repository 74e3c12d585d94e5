"""The basket has one name across the site, in Spanish: "canasta", never "carrito"."""

from pathlib import Path

from django.urls import reverse

PO = Path(__file__).resolve().parents[2] / "locale" / "es" / "LC_MESSAGES" / "django.po"


def test_no_spanish_text_calls_the_basket_carrito():
    assert "carrito" not in PO.read_text().lower()


def test_the_header_and_the_basket_page_say_canasta(client, db):
    page = client.get(reverse("orders:cart")).content.decode()
    assert "Canasta" in page and "canasta" in page.lower()
    assert "carrito" not in page.lower()
