"""Property-based tests (hypothesis) on what buyers and managers type: quantities, money, NITs
and the cart form.

For any input: the parser answers with a value or with its own error type, never anything
else (in a view, anything else is a 500); and no accepted quantity and price makes a
negative or fractional-peso total.
"""

import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from market.money import format_cop, line_total_cop
from market.nit import nit_check_digit, normalize_nit
from market.units import MAX_QUANTITY, QUANTITY_PLACES, QuantityError, check_step, parse_quantity
from orders import selectors, services
from orders.models import CartLine
from tests.factories import CooperativeFactory, UserFactory, make_product

# Bounded so the suite stays fast; no example database in the project folder.
PURE = settings(max_examples=200, deadline=None, database=None)
CLIENT = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Quantities as people type them, and as attackers do.
decimal_text = st.decimals(allow_nan=True, allow_infinity=True).map(str)
comma_decimal_text = st.decimals(
    min_value=Decimal("-100000"), max_value=Decimal("100000"), places=4, allow_nan=False
).map(lambda d: str(d).replace(".", ","))
odd_numbers = st.sampled_from(
    [
        "",
        " ",
        "0",
        "-0",
        "0,000",
        "1e3",
        "1E-3",
        "1e999999",
        "-1e-999999",
        "NaN",
        "sNaN",
        "-Infinity",
        "1_000",
        "١٢",
        "１２",
        "²",
        "0x10",
        "1/2",
        "1.0.0",
        "1,,5",
        "99999.999",
        "99999.9995",
        "100000",
        "0.0005",
        "0.001",
        "\x00",
        "2\n",
        " 2,5 ",
        "+3",
        "۳.۵",
    ]
)
quantity_text = st.one_of(st.text(max_size=30), decimal_text, comma_decimal_text, odd_numbers)
# A product's minimum and step: positive, three places, as the catalogue stores them.
product_amount = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("1000"), places=3)
# Prices are whole pesos, > 0, in a PositiveIntegerField.
price_cop = st.integers(min_value=1, max_value=2_147_483_647)


# --- parse_quantity and check_step -----------------------------------------------------------


@PURE
@given(raw=st.one_of(st.none(), quantity_text, st.integers().map(str), st.floats().map(str)))
def test_parse_quantity_returns_a_positive_three_place_decimal_or_a_quantity_error(raw):
    try:
        value = parse_quantity(raw)
    except QuantityError as error:
        assert error.code and str(error.message)
        return
    assert isinstance(value, Decimal) and value.is_finite()
    assert Decimal("0") < value <= MAX_QUANTITY
    assert value == value.quantize(QUANTITY_PLACES)
    assert value.as_tuple().exponent == -3


@PURE
@given(raw=quantity_text)
def test_parse_quantity_allowing_zero_never_returns_a_negative(raw):
    try:
        value = parse_quantity(raw, allow_zero=True)
    except QuantityError:
        return
    assert Decimal("0") <= value <= MAX_QUANTITY
    assert not value.is_signed()  # not even "-0.000"


@PURE
@given(raw=quantity_text, minimum=product_amount, step=product_amount)
def test_check_step_accepts_only_quantities_on_the_product_grid(raw, minimum, step):
    try:
        quantity = parse_quantity(raw)
        check_step(quantity, minimum=minimum, step=step)
    except QuantityError:
        return
    assert quantity >= minimum
    assert (quantity - minimum) % step == 0


@PURE
@given(minimum=product_amount, step=product_amount, steps=st.integers(min_value=0, max_value=1000))
def test_check_step_accepts_every_point_of_the_grid(minimum, step, steps):
    quantity = minimum + steps * step
    if quantity <= MAX_QUANTITY:
        check_step(parse_quantity(str(quantity)), minimum=minimum, step=step)


# --- Money -----------------------------------------------------------------------------------

COP = re.compile(r"-?\$\xa0(0|[1-9]\d{0,2}(\.\d{3})*)", re.ASCII)


@PURE
@given(pesos=st.one_of(st.integers(), st.integers(min_value=-(10**15), max_value=10**15).map(Decimal)))
@example(pesos=0)
@example(pesos=-1)
@example(pesos=10**30)
def test_format_cop_groups_whole_pesos_with_dots_and_reads_back(pesos):
    text = format_cop(pesos)
    assert COP.fullmatch(text), text
    assert int(text.replace("$\xa0", "").replace(".", "")) == int(pesos)


def test_format_cop_of_nothing_is_empty():
    assert format_cop(None) == ""


@PURE
@given(price=price_cop, raw=quantity_text, minimum=product_amount, step=product_amount)
def test_no_accepted_quantity_makes_a_negative_or_fractional_total(price, raw, minimum, step):
    try:
        quantity = parse_quantity(raw)
        check_step(quantity, minimum=minimum, step=step)
    except QuantityError:
        return
    total = line_total_cop(price, quantity)
    assert type(total) is int
    assert total >= 0
    exact = Decimal(price) * quantity
    assert abs(Decimal(total) - exact) <= Decimal("0.5")
    assert total == int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


@PURE
@given(
    price=price_cop,
    quantity=st.decimals(min_value=QUANTITY_PLACES, max_value=MAX_QUANTITY, places=3),
)
def test_line_total_is_a_whole_non_negative_peso_for_every_storable_quantity(price, quantity):
    total = line_total_cop(price, quantity)
    assert type(total) is int and total >= 0
    # More of the same product never costs less.
    assert line_total_cop(price, quantity + QUANTITY_PLACES) >= total


# --- NIT -------------------------------------------------------------------------------------

NIT = re.compile(r"[0-9]{6,15}-[0-9]", re.ASCII)
nit_like = st.builds(
    lambda body, sep, digit: f"{body}{sep}{digit}",
    st.text(alphabet="0123456789. ", min_size=5, max_size=22),
    st.sampled_from(["-", "", " - ", "–"]),
    st.one_of(st.integers(0, 9).map(str), st.sampled_from(["", "X", "١", "１"])),
)
valid_nit_body = st.text(alphabet="0123456789", min_size=6, max_size=15)


@PURE
@given(raw=st.one_of(st.text(max_size=40), nit_like, st.none()))
@example(raw="９００１２３４５６-８")  # full-width digits
@example(raw="٩٠٠١٢٣٤٥٦-٨")  # Arabic-Indic digits
def test_normalize_nit_returns_an_ascii_nit_with_a_valid_check_digit_or_a_validation_error(raw):
    try:
        nit = normalize_nit(raw)
    except ValidationError as error:
        assert error.code in ("invalid_nit", "nit_check_digit")
        return
    assert NIT.fullmatch(nit), nit
    body, digit = nit.split("-")
    assert nit_check_digit(body) == int(digit)
    assert normalize_nit(nit) == nit


@PURE
@given(body=valid_nit_body, dots=st.booleans())
def test_every_nit_with_its_check_digit_is_accepted_however_it_is_written(body, dots):
    digit = nit_check_digit(body)
    written = f"{int(body):,}".replace(",", ".") if dots and body[0] != "0" else body
    assert normalize_nit(f"{written}-{digit}") == f"{body}-{digit}"
    assert normalize_nit(f" {body}{digit} ") == f"{body}-{digit}"


# --- The cart form, through the test client ----------------------------------------------------

product_field = st.one_of(
    st.just("REAL"),
    st.text(max_size=25),
    st.integers().map(str),
    st.sampled_from(["", "0", "-1", "1.0", "١", "²", "99999999999999999999999", "1 OR 1=1", "\x00"]),
)


@pytest.fixture
def shop(db):
    product = make_product(
        CooperativeFactory(),
        name="Yuca fresca",
        price_cop=2345,
        min_quantity=Decimal("1"),
        quantity_step=Decimal("0.5"),
        stock=Decimal("500"),
    )
    buyer = UserFactory()
    client = Client()
    client.force_login(buyer)
    return product, buyer, client


@CLIENT
@given(product=product_field, quantity=st.one_of(quantity_text, st.integers().map(str)))
def test_no_cart_post_causes_a_500_or_a_bad_line(shop, product, quantity):
    real, buyer, client = shop
    data = {"product": str(real.pk) if product == "REAL" else product, "quantity": quantity}
    for name in ("orders:cart_add", "orders:cart_update", "orders:cart_remove"):
        # The test client raises a view's exception instead of answering 500: any would fail here.
        response = client.post(reverse(name), data)
        assert response.status_code == 302, (name, response.status_code)

    for line in CartLine.objects.filter(cart__user=buyer).select_related("product"):
        assert line.quantity >= line.product.min_quantity
        assert (line.quantity - line.product.min_quantity) % line.product.quantity_step == 0
        assert line.quantity == line.quantity.quantize(QUANTITY_PLACES)
    summary = selectors.cart_summary(services.cart_get(user=buyer))
    assert type(summary["total_cop"]) is int and summary["total_cop"] >= 0
    for group in summary["groups"]:
        for line in group["lines"]:
            assert type(line.total_cop) is int and line.total_cop >= 0
