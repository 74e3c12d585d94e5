"""A quantity reads in Spanish with its unit in the plural ("3 kilos", "1 kilo", "2,5 kilos"),
wherever a buyer, a cooperative or a builder reads one; short dates write the month's
abbreviation lowercase ("5 dic. 2025"), dates in words stay in words."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from market.dates import short_date
from market.units import Unit, quantity_with_unit, unit_names
from orders import services
from orders.models import Order
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, UserFactory, make_product

BOGOTA = datetime.timezone(datetime.timedelta(hours=-5))
DEC_5_1430 = datetime.datetime(2025, 12, 5, 14, 30, tzinfo=BOGOTA)
DEC_5_0900 = datetime.datetime(2025, 12, 5, 9, 0, tzinfo=BOGOTA)


@pytest.mark.parametrize(
    ("quantity", "unit", "spanish", "english"),
    [
        ("3.000", "kg", "3 kilos", "3 kilos"),
        ("1.000", "kg", "1 kilo", "1 kilo"),
        ("2.500", "kg", "2,5 kilos", "2,5 kilos"),
        ("0.500", "kg", "0,5 kilos", "0,5 kilos"),
        ("2", "libra", "2 libras", "2 pounds"),
        ("1", "arroba", "1 arroba", "1 arroba"),
        ("4", "bulto", "4 bultos", "4 sacks"),
        ("2", "docena", "2 docenas", "2 dozen"),
        ("3", "unidad", "3 unidades", "3 units"),
        ("1", "canasta", "1 canasta", "1 crate"),
    ],
)
def test_a_quantity_names_its_unit_in_the_singular_or_the_plural(quantity, unit, spanish, english):
    with translation.override("es"):
        assert quantity_with_unit(Decimal(quantity), unit) == spanish
        assert Template("{{ q|qty_unit:u }}").render(Context({"q": Decimal(quantity), "u": unit})) == spanish
    with translation.override("en"):
        assert quantity_with_unit(Decimal(quantity), unit) == english


def test_every_unit_has_a_spanish_singular_and_plural():
    with translation.override("es"):
        names = unit_names()
    assert set(names) == {unit.value for unit in Unit}
    assert names["kg"] == ("kilo", "kilos") and names["unidad"] == ("unidad", "unidades")
    assert all(singular != plural for singular, plural in names.values())


def test_storefront_message_offer_and_checkout_read_in_the_plural(client, db):
    coop = CooperativeFactory(name="Frutos del Guaviare")
    yuca = make_product(coop, name="Yuca fresca", price_cop=2500, stock=None)
    huevos = make_product(coop, name="Huevos criollos", unit="docena", price_cop=9000, stock=None)
    event = make_market(offers=[(yuca, 2500, 20), (huevos, 9000, 1)])
    client.force_login(UserFactory())

    response = client.post(
        reverse("cms:market_cart", args=[event.pk]),
        {"product": yuca.pk, "quantity": "3", "action": "add"},
        follow=True,
    )
    html = response.content.decode()
    assert "Yuca fresca: 3 kilos en su canasta." in html
    assert "$\xa02.500 <small>/ kilo</small>" in html  # a price stays per kilo
    assert "Quedan 20 kilos" in html  # nothing is sold until she orders
    assert "Queda 1 docena" in html  # Spanish agrees the verb too
    assert "Cantidad (kilos)</label>" in html  # the basket line's quantity is counted in kilos

    checkout = client.get(event.url + "pedido/").content.decode()
    assert "Yuca fresca: 3 kilos" in checkout


def test_order_page_and_catalogue_message_read_in_the_plural(client, db):
    coop = CooperativeFactory()
    yuca = make_product(coop, name="Yuca fresca", price_cop=2500)
    buyer = UserFactory()
    client.force_login(buyer)
    response = client.post(reverse("orders:cart_add"), {"product": yuca.pk, "quantity": "2,5"}, follow=True)
    assert "Yuca fresca: 2,5 kilos en su canasta." in response.content.decode()
    detail = reverse("catalog:product_detail", args=[coop.slug, yuca.slug])
    assert "Cantidad (kilos)</label>" in client.get(detail).content.decode()

    cart = services.cart_get(user=buyer)
    order = services.order_place(
        buyer=buyer,
        cart=cart,
        choice=services.CheckoutChoice(delivery_method="pickup", payment_method="cash"),
    )
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "<td>2,5 kilos</td>" in page
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("value", "words", "spanish", "english"),
    [
        (datetime.date(2025, 12, 5), "", "5 dic. 2025", "5 Dec 2025"),
        (datetime.date(2025, 5, 5), "noyear", "5 may.", "5 May"),
        (DEC_5_1430, "time", "5 dic. 2025 14:30", "5 Dec 2025 14:30"),
        (DEC_5_0900, "weekday time", "vie 5 dic. 09:00", "Fri 5 Dec 09:00"),
    ],
)
def test_short_dates_write_the_month_lowercase_in_spanish(value, words, spanish, english):
    template = Template("{{ value|short_date:words }}")
    for language, expected in (("es", spanish), ("en", english)):
        with translation.override(language), timezone.override("America/Bogota"):
            assert template.render(Context({"value": value, "words": words})) == expected


def test_home_lists_markets_with_lowercase_months_and_market_pages_keep_words(client, db):
    product = make_product(name="Arazá", price_cop=6000, stock=None)
    with time_machine.travel(datetime.datetime(2025, 12, 1, 12, 0, tzinfo=BOGOTA), tick=False):
        opens = timezone.now() - datetime.timedelta(hours=1)
        closes = datetime.datetime(2025, 12, 5, 18, 0, tzinfo=BOGOTA)
        event = make_market(offers=[(product, 5000, 20)], opens_at=opens, closes_at=closes)
        home = client.get("/").content.decode()
        market = client.get(event.url).content.decode()
    assert "5 dic. 18:00" in home and "6 dic." in home
    assert "Dic" not in home
    assert "6 de diciembre" in market  # market day, in words
    assert short_date(None) == ""
