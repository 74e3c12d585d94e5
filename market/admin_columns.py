"""Wagtail admin list columns that show values the way the rest of the site does."""

from wagtail.admin.ui.tables import Column

from market.money import format_cop
from market.nit import format_nit


class NitColumn(Column):
    """A NIT as invoices print it: 900.123.456-8."""

    def get_value(self, instance):
        return format_nit(super().get_value(instance) or "")


class MoneyColumn(Column):
    """Whole pesos as the site shows them: $ 12.500."""

    def get_value(self, instance):
        return format_cop(super().get_value(instance))
