"""A buyer compares a libra, an arroba or a bulto with the kilo: each price of a weight
that is not a kilo shows what a kilo costs, "$ 1.600/kg", in the catalogue, on the
product's page and in a market."""

from decimal import Decimal

import pytest
from django.urls import reverse

from market.units import kilos_in_unit, price_per_kilo_cop
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, make_product

NBSP = "\N{NO-BREAK SPACE}"


@pytest.mark.parametrize(
    ("price", "unit", "name", "expected"),
    [
        (20000, "arroba", "Yuca fresca por arroba", 1600),  # 12,5 kg
        (4500, "libra", "Almidón de yuca", 9000),  # 500 g
        (38000, "bulto", "Abono orgánico compostado (bulto 40 kg)", 950),
        (95000, "bulto", "Concentrado para peces (bulto 62,5 kilos)", 1520),
        (10001, "libra", "Nibs", 20002),
        (10001, "arroba", "Café", 800),  # 800,08 rounds half up to the peso
        (2500, "kg", "Yuca", None),  # already per kilo
        (30000, "bulto", "Bulto de plátano", None),  # a bulto of unknown weight says nothing
        (30000, "bulto", "Bulto 0 kg", None),
        (9000, "docena", "Huevos (docena de 12 kg?)", None),  # not a weight
        (3000, "litro", "Leche 1 kg", None),
    ],
)
def test_price_per_kilo_of_each_unit(price, unit, name, expected):
    assert price_per_kilo_cop(price, unit, name) == expected


def test_kilos_in_a_unit():
    assert kilos_in_unit("arroba") == Decimal("12.5")
    assert kilos_in_unit("libra") == Decimal("0.5")
    assert kilos_in_unit("bulto", "Bulto 50 KG de papa") == Decimal("50")
    assert kilos_in_unit("bulto", "") is None


def test_catalogue_and_product_page_show_the_price_per_kilo(client, db):
    coop = CooperativeFactory()
    arroba = make_product(coop, name="Yuca por arroba", unit="arroba", price_cop=20000)
    make_product(coop, name="Yuca por kilo", unit="kg", price_cop=1800)
    make_product(coop, name="Huevos", unit="docena", price_cop=9000)

    listing = client.get(reverse("catalog:list")).content.decode()
    assert f"${NBSP}1.600/kg" in listing
    assert listing.count("/kg</small>") == 1  # not next to the kilo nor the dozen

    detail = client.get(reverse("catalog:product_detail", args=[coop.slug, arroba.slug])).content.decode()
    assert f'<small class="per-kilo">· ${NBSP}1.600/kg</small>' in detail


def test_a_market_shows_the_price_per_kilo_at_its_own_price(client, db):
    coop = CooperativeFactory()
    libra = make_product(coop, name="Café tostado (libra)", unit="libra", price_cop=22000)
    event = make_market(offers=[(libra, 20000, 10)])
    page = client.get(event.url).content.decode()
    assert f"${NBSP}40.000/kg" in page  # the market's price, not the catalogue's 44.000
    assert f"${NBSP}44.000/kg" not in page
