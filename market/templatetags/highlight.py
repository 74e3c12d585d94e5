"""`{{ product.name|highlight:product }}`: the words a search matched in `<mark>`, the rest
escaped. The search sets `search_terms` on the products it returns (`catalog.selectors`);
products shown anywhere else have none, and their text is only escaped."""

from django import template

from market.text import highlight as highlight_terms

register = template.Library()


@register.filter
def highlight(value, found):
    return highlight_terms(value, getattr(found, "search_terms", None))
