"""Quantities, pesos, phone numbers and the e-mail identity of a user."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from market.models import User
from market.money import format_cop
from market.phones import normalize_phone, validate_e164, whatsapp_link
from market.units import QuantityError, check_step, format_quantity, parse_quantity

NBSP = "\N{NO-BREAK SPACE}"


# --- parse_quantity -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (2, Decimal("2")),
        ("2", Decimal("2")),
        ("2,5", Decimal("2.5")),
        ("2.5", Decimal("2.5")),
        ("0.5", Decimal("0.5")),
        (" 0,25 ", Decimal("0.25")),
        ("1.234", Decimal("1.234")),
        (Decimal("3"), Decimal("3")),
    ],
)
def test_quantities_typed_by_people_are_read(typed, expected):
    value = parse_quantity(typed)
    assert value == expected
    assert isinstance(value, Decimal)
    assert value.as_tuple().exponent == -3  # always three places, as stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "required"),
        ("   ", "required"),
        (None, "required"),
        ("0", "not_positive"),
        ("0,000", "not_positive"),
        ("-1", "not_positive"),
        ("abc", "invalid"),
        ("2,5 kg", "invalid"),
        ("1.000,5", "invalid"),
        ("NaN", "invalid"),
        ("sNaN", "invalid"),
        ("Infinity", "invalid"),
        ("-Infinity", "invalid"),
        ("1e9", "too_large"),
        ("100000", "too_large"),
        ("1.2345", "too_precise"),
        ("0.0001", "too_precise"),
    ],
)
def test_unreadable_or_impossible_quantities_are_refused(typed, code):
    with pytest.raises(QuantityError) as error:
        parse_quantity(typed)
    assert error.value.code == code
    assert str(error.value.message)


def test_largest_quantity_is_accepted():
    assert parse_quantity("99999,999") == Decimal("99999.999")


@pytest.mark.parametrize("typed", ["0", "0,0", "0.000", "-0", " 0 ", 0, Decimal("0")])
def test_zero_is_read_only_when_allowed(typed):
    value = parse_quantity(typed, allow_zero=True)
    assert value == 0 and not value.is_signed()
    assert value.as_tuple().exponent == -3
    with pytest.raises(QuantityError) as error:
        parse_quantity(typed)
    assert error.value.code == "not_positive"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("-1", "negative"),
        ("-0,5", "negative"),
        ("abc", "invalid"),
        ("", "required"),
        ("0,0001", "too_precise"),
    ],
)
def test_allowing_zero_still_refuses_negatives_and_junk(typed, code):
    with pytest.raises(QuantityError) as error:
        parse_quantity(typed, allow_zero=True)
    assert error.value.code == code


# --- check_step -----------------------------------------------------------------------

MIN_ONE_STEP_HALF = {"minimum": Decimal("1"), "step": Decimal("0.5")}


@pytest.mark.parametrize("quantity", ["1", "1.5", "2", "10.5"])
def test_quantity_on_the_step_from_the_minimum_is_accepted(quantity):
    check_step(Decimal(quantity), **MIN_ONE_STEP_HALF)


def test_quantity_off_the_step_is_refused():
    with pytest.raises(QuantityError) as error:
        check_step(Decimal("1.25"), **MIN_ONE_STEP_HALF)
    assert error.value.code == "off_step"
    assert "0,5" in str(error.value.message)


def test_quantity_below_the_minimum_is_refused_even_on_the_step():
    with pytest.raises(QuantityError) as error:
        check_step(Decimal("0.5"), **MIN_ONE_STEP_HALF)
    assert error.value.code == "below_minimum"
    assert "1" in str(error.value.message)


def test_step_is_counted_from_the_minimum_not_from_zero():
    # minimum 0.3 step 0.5: 0.8 is on the step, 1.0 is not.
    check_step(Decimal("0.8"), minimum=Decimal("0.3"), step=Decimal("0.5"))
    with pytest.raises(QuantityError):
        check_step(Decimal("1.0"), minimum=Decimal("0.3"), step=Decimal("0.5"))


# --- format_quantity and format_cop -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("2.500"), "2,5"),
        (Decimal("3.000"), "3"),
        (Decimal("10.000"), "10"),
        (Decimal("100"), "100"),
        (Decimal("0.001"), "0,001"),
        (Decimal("12.250"), "12,25"),
        ("1.5", "1,5"),
        (None, ""),
        ("", ""),
    ],
)
def test_quantities_are_shown_with_a_decimal_comma_and_no_trailing_zeros(value, shown):
    assert format_quantity(value) == shown


@pytest.mark.parametrize(
    ("pesos", "shown"),
    [
        (0, f"${NBSP}0"),
        (500, f"${NBSP}500"),
        (12500, f"${NBSP}12.500"),
        (1250000, f"${NBSP}1.250.000"),
        (Decimal("12500"), f"${NBSP}12.500"),
        (-12500, f"-${NBSP}12.500"),
        (None, ""),
    ],
)
def test_pesos_are_shown_colombian_style(pesos, shown):
    assert format_cop(pesos) == shown


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("300 123 4567", "+573001234567"),
        ("3001234567", "+573001234567"),
        ("+57 300-123-4567", "+573001234567"),
        ("+57 (300) 123.45.67", "+573001234567"),
        ("0057 300 123 4567", "+573001234567"),
        ("57 300 123 4567", "+573001234567"),
        ("(601) 234 5678", "+576012345678"),  # Bogotá landline, national format
        ("+1 212 555 0100", "+12125550100"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "typed",
    [
        "abc",
        "12345",
        "300 123 456",  # nine digits: not a Colombian mobile
        "300 123 45678",  # eleven digits
        "+0 300 123 4567",
        "+57 300 123 4567 8901 23",  # longer than E.164 allows
        "0057",
        "+57300123456a",
    ],
)
def test_implausible_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalize_phone(typed)
    assert error.value.code == "invalid_phone"


def test_stored_phone_must_already_be_e164():
    validate_e164("+573001234567")
    with pytest.raises(ValidationError):
        validate_e164("3001234567")


def test_whatsapp_link_uses_the_number_without_plus():
    assert whatsapp_link("+573001234567") == "https://wa.me/573001234567"
    assert whatsapp_link("") == ""


# --- the user's e-mail ------------------------------------------------------------------


@pytest.mark.django_db
def test_user_email_is_stored_in_lower_case_by_the_manager():
    user = User.objects.create_user("Ana.Perez@Example.ORG", "x")
    assert user.email == "ana.perez@example.org"


@pytest.mark.django_db
def test_user_email_is_unique_regardless_of_case():
    User.objects.create(email="a@x.org")
    # Bypass the manager's lower-casing: the database constraint itself must refuse it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="A@x.org")
    assert list(User.objects.values_list("email", flat=True)) == ["a@x.org"]


@pytest.mark.django_db
def test_user_phone_must_be_e164():
    user = User(email="b@x.org", phone="300 123 4567")
    user.set_unusable_password()
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "phone" in error.value.message_dict
