"""Market storefront actions: cart changes, checkout and the calendar file.

The market's clock is checked by its sales channel (`cms.markets.channel`) at every cart
change and at checkout; these views only turn forms into service calls (the cart line and
the order placing are shared with the catalogue: `orders.checkout`). `page` is the page the
buyer reads (maybe a translation); `event` is the market that sells (its original).

The storefront's basket forms and the checkout form post to plain URLs naming the page
(`cart_view`, `checkout_view`, in `cms.urls`): the page is read with one query (a
checkout's with its pickup slots), where Wagtail's routing to it reads the site, its
locale, three pages and their view restrictions. The page's own routes (cesta/, pedido/)
still answer through that routing: the storefront's checkout link, and pages and forms
already in buyers' hands.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.validators import slug_re
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail import hooks

from cms.markets.channel import MarketChannel
from cms.markets.checkout_form import MarketCheckoutForm
from cms.markets.slots import live_market_with_slots, market_slots
from cms.markets.storefront import CATEGORY_PARAM, PAGE_PARAM
from cms.models import MarketEventPage
from market.calendar import ics_event
from market.i18n import url_in_language
from market.models import BuyerOrganization
from orders import selectors as order_selectors
from orders import services as order_services
from orders.checkout import cart_line_change, checkout_rules, checkout_submit, repeat_submit
from orders.exceptions import CartError


def cart_view(request, page_id: int):
    """`market_cart` at `cms:market_cart`: the market page read with one query."""
    page = _live_market(page_id)
    return _as_page_route(request, page, lambda: market_cart(request, page, page.trading_event))


def checkout_view(request, page_id: int):
    """`market_checkout` at `cms:market_checkout`: the market page and its pickup slots read
    with one query (a market without slots of its own: the page's, then its slots')."""
    page, slots = live_market_with_slots(page_id)
    if page is None:
        page, slots = _live_market(page_id), None
    return _as_page_route(
        request, page, lambda: market_checkout(request, page, page.trading_event, slots=slots)
    )


def _live_market(page_id: int) -> MarketEventPage:
    """The live market page `page_id` with what its actions read (its place, its locale)
    and whether a view restriction may apply to it, in one query; else 404 (as Wagtail's
    routing answers for a page that is not live)."""
    page = (
        MarketEventPage.objects.live()
        .restrictions_known()
        .select_related("municipality", "locale")
        .filter(pk=page_id)
        .first()
    )
    if page is None:
        raise Http404
    return page


def _as_page_route(request, page, respond):
    """What Wagtail does around one of a page's routes once it found the page
    (`wagtail.views.serve`): the `before_serve_page` hooks (the request's method), then the
    `on_serve_page` chain (the page's view restrictions: a password, a sign-in, a group)
    around `respond()`."""

    def serve(page, request, args, kwargs):
        return respond()

    chain = serve
    for hook in reversed(hooks.get_hooks("on_serve_page")):
        chain = hook(chain)
    for hook in hooks.get_hooks("before_serve_page"):
        result = hook(page, request, (), {})
        if isinstance(result, HttpResponse):
            return result
    return chain(page, request, (), {})


def _back_to_offers(request, page, anchor: str) -> str:
    """The storefront in the buyer's language, on the category and page she was looking at,
    at `anchor` (the product she added, or her basket)."""
    url = url_in_language(page.url)
    query = []
    category = request.POST.get(CATEGORY_PARAM, "")
    if category and slug_re.fullmatch(category):
        query.append(f"{CATEGORY_PARAM}={category}")
    number = request.POST.get(PAGE_PARAM, "")
    if number.isascii() and number.isdigit() and len(number) <= 9:
        query.append(f"{PAGE_PARAM}={int(number)}")
    if query:
        url += "?" + "&".join(query)
    return f"{url}#{anchor}"


def market_cart(request, page, event):
    """Add (from an offer's card), set a quantity or remove (from the basket).

    She lands back where she was: at the offer she added, or at the line she changed in her
    basket; what the market says about it (added, or why not) is shown there, next to it.
    """
    if request.method != "POST":
        return redirect(url_in_language(page.url))
    action = request.POST.get("action", "add")
    product = request.POST.get("product", "")
    product = product if product.isascii() and product.isdigit() and len(product) <= 18 else ""
    channel = MarketChannel(event)
    if action == "remove":
        cart = order_services.cart_get(
            user=request.user, session=request.session, create=True, channel_key=channel.key
        )
        order_services.cart_remove(cart=cart, product_id=product or "0")
        return redirect(_back_to_offers(request, page, "cesta"))
    place = "oferta" if action == "add" else "cesta"
    anchor = f"{place}-{product}" if product else "ofertas"
    cart_line_change(
        request,
        add=action == "add",
        in_cart=_("%(name)s: %(quantity)s %(unit)s in your basket."),
        channel=channel,
        tag=anchor,
    )
    return redirect(_back_to_offers(request, page, anchor))


def market_checkout(request, page, event, *, slots=None):
    """The checkout page of a market's basket, and the order it places. `slots`: the
    market's pickup slots as `market_slots` reads them, when the caller read them with the
    page (`checkout_view`)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    channel = MarketChannel(event)  # read once, for the form, the order and the page
    try:
        channel.check_open()
    except CartError as error:
        messages.error(request, error.message)
        return redirect(url_in_language(page.url))
    posted = request.method == "POST"
    # A POST that places the order reads the basket in the order's transaction only (its
    # lines locked); it is read here to be shown, or when the order is not placed.
    cart = None if posted else _basket(request, channel)
    if not posted and not _has_lines(cart):
        return _empty_basket(request, page)
    organizations = list(BuyerOrganization.objects.for_user(request.user).approved())
    slots = market_slots(event) if slots is None else slots
    channel.use_slots(slots)
    form = MarketCheckoutForm(
        request.POST or None,
        organizations=organizations,
        card_enabled=order_services.card_payments_enabled(),
        ask_phone=not request.user.phone,
        event=event,
        slots=slots,
    )
    short_lines = []
    if posted and form.is_valid():
        response, short_lines = checkout_submit(request, cart=None, form=form, channel=channel)
        if response is not None:
            return response
    if posted:
        cart = _basket(request, channel)
        if not _has_lines(cart):  # ordered by another post of this basket, or emptied meanwhile
            return repeat_submit(request, cart) or _empty_basket(request, page)
    # Priced only to be shown: a placed order reads its prices again, in its transaction.
    summary = order_selectors.cart_summary(cart, channel=channel)
    rules = checkout_rules(channel=channel, summary=summary)
    return TemplateResponse(
        request,
        "cms/market_checkout.html",
        {"page": page, "form": form, "summary": summary, "short_lines": short_lines, **rules},
        status=400 if posted else 200,
    )


def _basket(request, channel):
    return order_services.cart_get(user=request.user, session=request.session, channel_key=channel.key)


def _has_lines(cart) -> bool:
    return cart is not None and cart.lines.exists()


def _empty_basket(request, page):
    messages.info(request, _("Your basket is empty."))
    return redirect(url_in_language(page.url))


def market_calendar(request, event):
    """An .ics file so a buyer can put the opening in her phone's calendar."""
    url = request.build_absolute_uri(event.url)
    body = ics_event(
        uid=f"market-{event.trading_event.pk}@minga",
        starts_at=event.opens_at,
        ends_at=event.closes_at,
        summary=event.title,
        location=event.municipality.name,
        description=f"{_('Peasant market open for orders')} {url}",
        url=url,
        stamped_at=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="mercado-{event.slug}.ics"'
    return response
