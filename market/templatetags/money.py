"""Template filters for money and quantities, available in every template (builtins)."""

from django import template

from market.money import format_cop
from market.units import format_quantity

register = template.Library()


@register.filter
def cop(value):
    """{{ product.price_cop|cop }} -> $ 12.500"""
    try:
        return format_cop(value)
    except (TypeError, ValueError):
        return ""


@register.filter
def qty(value):
    """{{ line.quantity|qty }} -> 2,5 (no trailing zeros, Colombian decimal comma)."""
    return format_quantity(value)
