"""A cooperative's product form shows and reads numbers as a Colombian writes them: "0,5"
and "25" (never "25.000" for twenty-five kilos, nor "1.000" for one), prices as "25.000".
A bare "1.000" could be one or a thousand: it is asked again, and nothing is saved."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Category, Product
from tests.factories import make_product


def _form_data(**changes) -> dict:
    data = {
        "name": "Plántulas de cacao",
        "category": Category.objects.get(slug="tuberculos-y-raices").pk,
        "description": "",
        "unit": "kg",
        "price_cop": "25.000",
        "min_quantity": "0,5",
        "quantity_step": "0,5",
        "stock": "25",
        "is_available": "on",
    }
    data.update(changes)
    return data


def _value(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found, name
    value = re.search(r'value="([^"]*)"', found[0])
    return value[1] if value else ""


def test_the_form_shows_quantities_without_trailing_zeros_and_prices_grouped(client, manager, cooperative):
    product = make_product(
        cooperative,
        price_cop=25000,
        min_quantity=Decimal("0.500"),
        quantity_step=Decimal("1.000"),
        stock=Decimal("25.000"),
    )
    client.force_login(manager)
    html = client.get(
        reverse("catalog:workspace_product_edit", args=[cooperative.slug, product.pk])
    ).content.decode()

    assert _value(html, "min_quantity") == "0,5"
    assert _value(html, "quantity_step") == "1"
    assert _value(html, "stock") == "25"
    assert _value(html, "price_cop") == "25.000"
    # Text inputs with a phone keypad: a number input would show "25.000" for 25 in some browsers.
    assert re.search(r'<input type="text" name="stock"[^>]*inputmode="decimal"', html)
    assert re.search(r'<input type="text" name="price_cop"[^>]*inputmode="numeric"', html)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ({"min_quantity": "0,5", "stock": "25"}, (Decimal("0.5"), Decimal("25"))),
        ({"min_quantity": "0.5", "stock": "1250,5"}, (Decimal("0.5"), Decimal("1250.5"))),
        ({"min_quantity": "1", "stock": "1.250,5"}, (Decimal("1"), Decimal("1250.5"))),
        ({"min_quantity": "0,25", "stock": "0"}, (Decimal("0.25"), Decimal("0"))),
    ],
)
def test_the_form_reads_what_she_types(client, manager, cooperative, typed, stored):
    client.force_login(manager)
    response = client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]),
        _form_data(quantity_step="0,25", **typed),
    )
    assert response.status_code == 302
    product = Product.objects.get(cooperative=cooperative)
    assert (product.min_quantity, product.stock) == stored
    assert product.price_cop == 25000


@pytest.mark.parametrize("price", ["25000", "25.000", "$ 25.000", "$25.000"])
def test_a_price_is_read_with_or_without_the_thousands_dot(client, manager, cooperative, price):
    client.force_login(manager)
    client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]), _form_data(price_cop=price)
    )
    assert Product.objects.get(cooperative=cooperative).price_cop == 25000


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"stock": "1.000"},
            "¿Quiere decir 1000? Escríbalo sin punto. Para decimales use la coma, p. ej. 1,5.",
        ),
        ({"min_quantity": "2.500"}, "¿Quiere decir 2500? Escríbalo sin punto."),
        ({"stock": "1,2345"}, "Use máximo tres decimales."),
        ({"stock": "mucho"}, "Escriba la cantidad en números, p. ej. 2 o 2,5."),
        ({"price_cop": "12,50"}, "Escriba el precio en pesos enteros, p. ej. 25.000."),
        ({"price_cop": "25.5"}, "Escriba el precio en pesos enteros, p. ej. 25.000."),
    ],
)
def test_an_ambiguous_or_wrong_number_is_asked_again_and_nothing_is_saved(
    client, manager, cooperative, changes, message
):
    client.force_login(manager)
    response = client.post(
        reverse("catalog:workspace_product_add", args=[cooperative.slug]), _form_data(**changes)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Product.objects.exists()
    # What she typed is still there to correct.
    name, typed = next(iter(changes.items()))
    assert _value(response.content.decode(), name) == typed


def test_an_edit_keeps_the_numbers_it_shows(client, manager, cooperative):
    """Saving the form as shown changes nothing: "0,5" goes out and comes back as 0.5."""
    product = make_product(
        cooperative, min_quantity=Decimal("0.5"), quantity_step=Decimal("0.5"), stock=Decimal("1000")
    )
    client.force_login(manager)
    url = reverse("catalog:workspace_product_edit", args=[cooperative.slug, product.pk])
    html = client.get(url).content.decode()
    shown = {name: _value(html, name) for name in ("price_cop", "min_quantity", "quantity_step", "stock")}
    assert shown == {"price_cop": "2.500", "min_quantity": "0,5", "quantity_step": "0,5", "stock": "1000"}

    client.post(url, _form_data(name=product.name, **shown))

    product.refresh_from_db()
    assert (product.price_cop, product.min_quantity, product.quantity_step, product.stock) == (
        2500,
        Decimal("0.5"),
        Decimal("0.5"),
        Decimal("1000"),
    )
