"""`{% market_basket "badge" %}` and `{% market_basket "lines" %}`: her basket in the market a
storefront shows, as the header's count and as the basket's lines (with the total and the
checkout button).

Rendered from the storefront's `cart` as a rule. A storefront kept for every signed-in
visitor (`MarketEventPage.serve`, `market.page_cache.serve` with `members`) keeps
placeholders instead, and each request fills them (`basket_part`, registered in
`cms.apps`): her basket is read once for both, one query, with the market's prices
remembered (`cms.markets.storefront.market_basket`). An anonymous visitor's kept page
shows an empty basket: with one she gets her own rendering (`unless_session`).
"""

from django import template
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from market import page_cache

register = template.Library()

PARTS = ("badge", "lines")


@register.simple_tag(takes_context=True)
def market_basket(context, part: str):
    if part not in PARTS:
        raise template.TemplateSyntaxError(f"market_basket: unknown part {part!r}")
    request = context["request"]
    page = context["page"]
    if page_cache.rendering(request) and request.user.is_authenticated:
        return page_cache.deferred(request, "market_basket", f"{part}-{context['event_pk']}-{page.pk}")
    # The badge is in the header, above where the page names its forms' addresses.
    cart_url, checkout_url = context.get("cart_url"), context.get("checkout_url")
    return _render(part, request, context["cart"], cart_url=cart_url, checkout_url=checkout_url)


def basket_part(request, argument: str) -> str:
    """The fill of a placeholder `<part>-<market id>-<page id>`: her basket in that market,
    read once per request for both parts."""
    from cms.markets.storefront import market_basket as read_basket
    from cms.models import MarketEventPage

    part, event_pk, page_pk = argument.split("-")
    baskets = request.__dict__.setdefault("_minga_market_baskets", {})
    if event_pk not in baskets:
        baskets[event_pk] = read_basket(event=MarketEventPage(pk=int(event_pk)), request=request)
    # A kept storefront is served at its own address in her language: its checkout is below.
    return _render(
        part,
        request,
        baskets[event_pk],
        cart_url=reverse("cms:market_cart", args=[int(page_pk)]),
        checkout_url=request.path + MarketEventPage().reverse_subpage("checkout"),
    )


def _render(part: str, request, cart: dict, *, cart_url: str, checkout_url: str) -> str:
    if part == "badge":
        return format_html(' <span class="count">{}</span>', cart["count"]) if cart["count"] else ""
    return render_to_string(
        "cms/includes/market_basket_lines.html",
        {"cart": cart, "cart_url": cart_url, "checkout_url": checkout_url, "csrf_token": get_token(request)},
    )
