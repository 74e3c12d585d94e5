"""`{% basket_count %}`: how many products the visitor has in her basket, for the header.

Filled per request, also on a page served from the anonymous page cache
(`market.page_cache.deferred`; the fill is registered in `orders.apps`).
"""

from django import template
from django.utils.html import format_html
from django.utils.translation import ngettext

from market import page_cache
from orders import selectors
from orders.models import CartLine
from orders.services import CART_SESSION_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def basket_count(context, channel_key: str = ""):
    """` <span class="count">3</span>` after the basket's name, or nothing when it is empty.

    `channel_key` names the basket: the catalogue's ("") or one market's ("market:<id>").
    """
    request = getattr(context, "request", None)
    if request is None:
        return ""
    return page_cache.deferred(request, "basket", channel_key)


def basket_badge(request, channel_key: str) -> str:
    """One query for a signed-in buyer or a visitor whose session holds a basket; else none.

    Outside a market (`channel_key` ""), the count is of every basket she can check out now:
    the catalogue's and her baskets in open markets (`selectors.basket_total`), as the
    catalogue's basket page, where this link leads, lists them."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if channel_key == "":
        count = selectors.basket_total(user=user, session=session)
    else:
        if user is not None and user.is_authenticated:
            lines = CartLine.objects.filter(cart__user=user, cart__channel_key=channel_key)
        else:
            token = session.get(f"{CART_SESSION_KEY}:{channel_key}") if session is not None else None
            if not token:
                return ""
            lines = CartLine.objects.filter(cart__user__isnull=True, cart__session_key=token)
        count = lines.count()
    if not count:
        return ""
    label = ngettext("%(count)s product in your basket", "%(count)s products in your basket", count) % {
        "count": count
    }
    return format_html(' <span class="count" title="{}">{}</span>', label, count)
