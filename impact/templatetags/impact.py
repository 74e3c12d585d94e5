"""Cells of the impact tables as people read them (`impact.tables.cell_show`)."""

from django import template

from impact.tables import cell_show

register = template.Library()


@register.simple_tag
def cell(value, kind):
    return cell_show(value, kind)


@register.filter
def index(sequence, position):
    return sequence[position]
