"""Units people actually use in Colombian markets, and quantity parsing."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import npgettext

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


# A unit's short name after a quantity, singular or plural ("1 kilo", "2,5 kilos", "3 libras"):
# one `npgettext` per unit, so that each language gives its own plural of each. The choice
# labels above name the unit on its own ("libra (500 g)", a product's price "/ kilo").
_NAMES = {
    Unit.KG: lambda n: npgettext("unit after a quantity", "kilo", "kilos", n),
    Unit.LIBRA: lambda n: npgettext("unit after a quantity", "pound", "pounds", n),
    Unit.ARROBA: lambda n: npgettext("unit after a quantity", "arroba", "arrobas", n),
    Unit.BULTO: lambda n: npgettext("unit after a quantity", "sack", "sacks", n),
    Unit.CARGA: lambda n: npgettext("unit after a quantity", "load", "loads", n),
    Unit.DOCENA: lambda n: npgettext("unit after a quantity", "dozen", "dozen", n),
    Unit.UNIDAD: lambda n: npgettext("unit after a quantity", "unit", "units", n),
    Unit.LITRO: lambda n: npgettext("unit after a quantity", "litre", "litres", n),
    Unit.ATADO: lambda n: npgettext("unit after a quantity", "bunch", "bunches", n),
    Unit.RACIMO: lambda n: npgettext("unit after a quantity", "cluster", "clusters", n),
    Unit.CANASTA: lambda n: npgettext("unit after a quantity", "crate", "crates", n),
}


def plural_count(quantity) -> int:
    """The whole number gettext chooses a plural form by, for a decimal quantity.

    gettext counts in integers; a fraction reads in the plural in Spanish and English
    ("0,5 kilos", "1,5 kilos", CLDR "other"), so it counts as 0, which both languages
    (and Django's three-form Spanish rule) put in the plural.
    """
    try:
        d = Decimal(quantity)
    except (InvalidOperation, TypeError, ValueError):
        return 0
    if not d.is_finite() or d != d.to_integral_value():
        return 0
    return abs(int(d))


def unit_name(unit: str, quantity=1) -> str:
    """The unit's name after `quantity`: `unit_name("kg", 3)` -> "kilos", `("kg", 1)` -> "kilo"."""
    name = _NAMES.get(unit)
    return name(plural_count(quantity)) if name else str(unit)


def unit_names() -> dict[str, tuple[str, str]]:
    """{unit: (singular, plural)} in the active language, read once for a page of many lines
    (a storefront's cards): `quantity_with_names`. Spanish and English have these two forms."""
    return {unit.value: (name(1), name(2)) for unit, name in _NAMES.items()}


def quantity_with_unit(quantity, unit: str) -> str:
    """`quantity_with_unit(Decimal("2.500"), "kg")` -> "2,5 kilos"; "1 kilo"; "3 libras"."""
    return f"{format_quantity(quantity)} {unit_name(unit, quantity)}"


def quantity_with_names(quantity, unit: str, names: dict[str, tuple[str, str]]) -> str:
    """`quantity_with_unit` from names read once (`unit_names()`), for many lines."""
    singular, plural = names.get(unit, (unit, unit))
    return f"{format_quantity(quantity)} {singular if plural_count(quantity) == 1 else plural}"


# Units that are weights, in kilograms: what a market's public summary adds up as "kilos".
KILOS_PER_UNIT = {Unit.KG: Decimal("1"), Unit.LIBRA: Decimal("0.5"), Unit.ARROBA: Decimal("12.5")}

# Sacks and loads have no fixed weight (40 kg of fertiliser, 50 kg of potatoes, 62,5 kg of
# coffee): their weight is read from the product's name, as cooperatives write it.
WEIGHED_BY_NAME = frozenset({Unit.BULTO, Unit.CARGA})
_KILOS_IN_NAME = re.compile(r"(\d{1,4}(?:[.,]\d{1,3})?)\s*(?:kg|kgs|kilos?|kilogramos?)\b", re.IGNORECASE)


def kilos_in_unit(unit: str, name: str = "") -> Decimal | None:
    """How many kilos one unit of a product weighs: fixed for kilo, libra and arroba, read
    from the name for a bulto or carga ("Abono orgánico (bulto 40 kg)"), else None."""
    if unit in KILOS_PER_UNIT:
        return KILOS_PER_UNIT[unit]
    if unit in WEIGHED_BY_NAME:
        match = _KILOS_IN_NAME.search(name or "")
        if match:
            kilos = Decimal(match.group(1).replace(",", "."))
            return kilos if kilos > 0 else None
    return None


def price_per_kilo_cop(price_cop: int, unit: str, name: str = "") -> int | None:
    """What a kilo costs at this price, in whole pesos (half up), so that a buyer can compare
    a libra, an arroba or a bulto with the kilo next to it. None for a price already per kilo
    and for units that are not a known weight (docena, unidad, litro...)."""
    if unit == Unit.KG or not price_cop:
        return None
    kilos = kilos_in_unit(unit, name)
    if kilos is None:
        return None
    return int((Decimal(price_cop) / kilos).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


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
