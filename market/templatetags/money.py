"""Template filters for money, quantities and dates, available in every template (builtins)."""

import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import pgettext

from market import dates
from market.money import format_cop
from market.units import format_quantity, price_per_kilo_cop, quantity_with_unit, unit_name

register = template.Library()


@register.filter
def cop(value):
    """{{ product.price_cop|cop }} -> $ 12.500"""
    try:
        return format_cop(value)
    except (TypeError, ValueError):
        return ""


@register.simple_tag
def per_kilo(price_cop, product):
    """{% per_kilo offer.price_cop product %} -> "$ 4.000/kg" next to a libra, arroba or
    bulto price (empty for a kilo price or a unit that is not a weight)."""
    per = price_per_kilo_cop(price_cop, product.unit, product.name)
    return "" if per is None else f"{format_cop(per)}/kg"


@register.filter
def qty(value):
    """{{ line.quantity|qty }} -> 2,5 (no trailing zeros, Colombian decimal comma)."""
    return format_quantity(value)


@register.filter
def qty_unit(value, unit):
    """{{ line.quantity|qty_unit:line.unit }} -> "2,5 kilos", "1 kilo", "3 libras"."""
    if value is None or value == "":
        return ""
    return quantity_with_unit(value, unit)


@register.filter
def units_of(unit):
    """{{ product.unit|units_of }} -> "kilos", "libras": the unit a quantity is counted in, as
    a label names it ("Cantidad (kilos)")."""
    return unit_name(unit, 2)


@register.filter
def long_date(value, arg=""):
    """{{ event.market_day|long_date }} -> "jueves 26 de noviembre" / "Thursday, November 26".

    `arg`: "year" adds the year, "time" the hour (in Bogotá). The pattern itself is a
    translated string (context "date format"), so each language orders it its own way.
    """
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    pattern = pgettext("date format", "l, F j, Y") if arg == "year" else pgettext("date format", "l, F j")
    if arg == "time":
        pattern += ", H:i"
    return date_format(value, pattern)


@register.filter
def short_date(value, arg=""):
    """{{ order.placed_at|short_date:"time" }} -> "5 dic. 2025 14:30" / "5 Dec 2025 14:30".

    `arg`, words separated by spaces: "time" adds the hour, "seconds" with its seconds,
    "noyear" leaves the year out ("5 dic."), "weekday" names the day ("vie 5 dic.", no year).
    Spanish writes the month's abbreviation lowercase (`market.dates`).
    """
    words = set(arg.split())
    return dates.short_date(
        value,
        year="noyear" not in words,
        weekday="weekday" in words,
        time="time" in words,
        seconds="seconds" in words,
    )
