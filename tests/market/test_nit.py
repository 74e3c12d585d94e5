"""NIT check digits (DIAN modulo 11) and the normalisation people's typing needs.

Decision on "890903938 - 8" (spaces around the dash): accepted. People copy the NIT
from RUT forms and invoices that print it spaced; `normalize_nit` drops every space
and dot before reading it, and the check digit still has to match.

Known limit of accepting "8909039388" (no dash): a body typed without its check digit
is read as a shorter body plus a digit. It is refused whenever that digit does not
match (10 times in 11), but Bancolombia's bare body "890903938" happens to be the
valid NIT 89090393-8. Only a separate check-digit field would remove that ambiguity.
"""

import pytest
from django.core.exceptions import ValidationError

from cooperatives.models import Cooperative
from market.nit import nit_check_digit, normalize_nit, validate_nit
from tests.factories import CooperativeFactory

# Published NITs of well-known companies and of the tax authority itself.
REAL_NITS = [
    ("890903938", 8),  # Bancolombia
    ("890900608", 9),  # Almacenes Éxito
    ("860034313", 7),  # Banco Davivienda
    ("800197268", 4),  # DIAN
]


@pytest.mark.parametrize(("body", "digit"), REAL_NITS)
def test_check_digit_of_real_nits(body, digit):
    assert nit_check_digit(body) == digit


@pytest.mark.parametrize(("body", "digit"), REAL_NITS)
def test_real_nits_normalise_to_body_dash_digit(body, digit):
    assert normalize_nit(f"{body}-{digit}") == f"{body}-{digit}"


@pytest.mark.parametrize(
    "typed",
    [
        "890.903.938-8",
        "8909039388",
        "890903938 - 8",
        " 890 903 938-8 ",
        "890.903.938 8",
    ],
)
def test_usual_ways_of_typing_a_nit_are_normalised(typed):
    assert normalize_nit(typed) == "890903938-8"


@pytest.mark.parametrize("typed", ["890903938-7", "890.903.938-0", "8909039381"])
def test_wrong_check_digit_is_refused(typed):
    with pytest.raises(ValidationError) as error:
        normalize_nit(typed)
    assert error.value.code == "nit_check_digit"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12345-6",  # body shorter than six digits
        "89090393A-8",
        "NIT890903938-8",
        "890903938-",
        "890903938-88",
        "890-903-938-8",
        "1234567890123456-1",  # body longer than fifteen digits
    ],
)
def test_malformed_nit_is_refused(typed):
    with pytest.raises(ValidationError):
        normalize_nit(typed)


@pytest.mark.parametrize("typed", ["", "12345-6", "89090393A-8", "abc"])
def test_malformed_nit_has_the_format_error_code(typed):
    with pytest.raises(ValidationError) as error:
        normalize_nit(typed)
    assert error.value.code == "invalid_nit"


@pytest.mark.parametrize("bare_body", ["890900608", "860034313", "800197268"])
def test_nit_typed_without_its_check_digit_is_refused(bare_body):
    with pytest.raises(ValidationError) as error:
        normalize_nit(bare_body)
    assert error.value.code == "nit_check_digit"


@pytest.mark.parametrize("body", ["", "12a", "1" * 16])
def test_check_digit_needs_one_to_fifteen_digits(body):
    with pytest.raises(ValueError):
        nit_check_digit(body)


def test_empty_nit_is_allowed_because_the_field_is_optional():
    validate_nit("")


@pytest.mark.django_db
def test_cooperative_full_clean_refuses_a_bad_nit():
    cooperative = CooperativeFactory.build(nit="890903938-7")
    with pytest.raises(ValidationError) as error:
        cooperative.full_clean()
    assert "nit" in error.value.message_dict
    assert not Cooperative.objects.filter(nit="890903938-7").exists()


@pytest.mark.django_db
def test_cooperative_full_clean_accepts_a_real_nit():
    cooperative = CooperativeFactory.build(nit="800197268-4")
    cooperative.full_clean()
