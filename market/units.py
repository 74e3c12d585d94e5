"""Units people actually use in Colombian markets, and quantity parsing."""

from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

QUANTITY_PLACES = Decimal("0.001")
MAX_QUANTITY = Decimal("99999.999")


class Unit(models.TextChoices):
    KG = "kg", _("kilogram")
    LIBRA = "libra", _("pound (500 g)")
    ARROBA = "arroba", _("arroba (12.5 kg)")
    BULTO = "bulto", _("sack")
    CARGA = "carga", _("load")
    DOCENA = "docena", _("dozen")
    UNIDAD = "unidad", _("unit")
    LITRO = "litro", _("litre")
    ATADO = "atado", _("bunch")
    RACIMO = "racimo", _("cluster")
    CANASTA = "canasta", _("crate")


# Units that are weights, in kilograms: what a market's public summary adds up as "kilos".
KILOS_PER_UNIT = {Unit.KG: Decimal("1"), Unit.LIBRA: Decimal("0.5"), Unit.ARROBA: Decimal("12.5")}


class QuantityError(ValueError):
    """A quantity that cannot be read, or breaks its product's minimum or step."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


def parse_quantity(raw, *, allow_zero: bool = False, maximum: Decimal = MAX_QUANTITY) -> Decimal:
    """Read a quantity typed by a person: `2`, `2.5`, `2,5`. Raises QuantityError.

    With `allow_zero` (a delivered weight: nothing came), `0`, `0,0` or `0.000` read as zero
    and only negatives are refused. `maximum`: a product's stock may hold more than one order.
    """
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        raise QuantityError(_("Enter a quantity."), "required")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise QuantityError(_("Enter the quantity as a number, e.g. 2 or 2,5."), "invalid") from None
    if not value.is_finite():
        raise QuantityError(_("Enter the quantity as a number, e.g. 2 or 2,5."), "invalid")
    if value == 0 and allow_zero:
        return Decimal("0").quantize(QUANTITY_PLACES)  # also for "-0"
    if value < 0 and allow_zero:
        raise QuantityError(_("The quantity cannot be negative."), "negative")
    if value <= 0:
        raise QuantityError(_("The quantity must be greater than zero."), "not_positive")
    if value > maximum:
        raise QuantityError(_("That quantity is too large."), "too_large")
    if value != value.quantize(QUANTITY_PLACES):
        raise QuantityError(_("Use at most three decimals."), "too_precise")
    return value.quantize(QUANTITY_PLACES)


def check_step(quantity: Decimal, *, minimum: Decimal, step: Decimal) -> None:
    """Refuse a quantity below the minimum or off the step counted from the minimum."""
    if quantity < minimum:
        raise QuantityError(
            _("The minimum is %(minimum)s.") % {"minimum": format_quantity(minimum)}, "below_minimum"
        )
    if step and (quantity - minimum) % step != 0:
        raise QuantityError(
            _("Order in steps of %(step)s from %(minimum)s.")
            % {"step": format_quantity(step), "minimum": format_quantity(minimum)},
            "off_step",
        )


def format_quantity(value) -> str:
    """`Decimal("2.500")` -> `"2,5"`; `Decimal("3.000")` -> `"3"`."""
    if value is None or value == "":
        return ""
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
