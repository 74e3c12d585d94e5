"""`{{ product.name|highlight:terms }}`: the words a search matched, in `<mark>`, escaped."""

from django import template

from market.text import highlight as highlight_terms

register = template.Library()


@register.filter
def highlight(value, terms):
    return highlight_terms(value, terms)
