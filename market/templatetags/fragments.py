"""`{% shared %}`: a part of a page rendered once for every visitor (`market.page_cache.fragment`).

    {% load fragments %}
    {% shared "market-offers" page.pk state request.path unless=fresh %}...{% endshared %}

The arguments name what the part depends on (with the language, added here); anything else
it shows must move the page cache's version when it changes (`pages_changed`). With
`unless` true the part is rendered for this request only, neither read nor kept.
"""

from django import template
from django.utils import translation

from market import page_cache

register = template.Library()


class SharedNode(template.Node):
    def __init__(self, nodelist, parts, unless):
        self.nodelist = nodelist
        self.parts = parts
        self.unless = unless

    def render(self, context):
        request = context.get("request")
        if request is None or (self.unless is not None and self.unless.resolve(context)):
            return self.nodelist.render(context)
        name = "|".join(
            [translation.get_language() or "", *(str(part.resolve(context)) for part in self.parts)]
        )
        return page_cache.fragment(request, name, lambda: self.nodelist.render(context))


@register.tag
def shared(parser, token):
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("{% shared %} needs a name")
    unless = None
    if bits[-1].startswith("unless="):
        unless = parser.compile_filter(bits.pop()[len("unless=") :])
    nodelist = parser.parse(("endshared",))
    parser.delete_first_token()
    return SharedNode(nodelist, [parser.compile_filter(bit) for bit in bits], unless)
