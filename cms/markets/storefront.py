"""The storefront of one market, as a buyer sees it: the offers on sale (what is left, the
thumbnail), chosen by category, her basket, the pickup slots to choose from, and once the
market closed its public figures. The same few queries and the same weight for 10 or
1,000 offers: one page of offers at a time, cut in the query.

Rendered by `MarketEventPage.get_context`; its forms are handled by
`cms.markets.storefront_views`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.images import get_image_model

from catalog.models import ProductPhoto
from cms.markets.channel import market_key, offer_left, offers_on_sale
from cms.markets.report import counted_market_lines
from cms.markets.slots import market_slots
from cms.markets.watch_form import watch_context
from cms.models import MarketEventPage, MarketOffer, MarketStock
from cms.selectors import next_market
from market import page_cache
from market.images import THUMBNAIL_SPEC
from market.money import line_total_cop
from market.units import KILOS_PER_UNIT, Unit, plural_count, quantity_with_names, unit_names
from orders import services as order_services
from orders.models import CartLine


def _offers_read(event: MarketEventPage):
    """Offers on sale with product, cooperative, category, what is left and the thumbnail.

    What is left and the first photo's thumbnail rendition (made at upload,
    `THUMBNAIL_SPEC`) are read by subqueries, so any slice of it is ONE query.
    """
    rendition_model = get_image_model().get_rendition_model()
    stock = MarketStock.objects.filter(event=event.pk, product=OuterRef("product_id"))
    first_photo = ProductPhoto.objects.filter(product=OuterRef("product_id")).order_by("position", "pk")
    thumb = rendition_model.objects.filter(
        image=OuterRef("thumb_image_id"), filter_spec=THUMBNAIL_SPEC
    ).order_by("-pk")
    return (
        offers_on_sale(event)
        .select_related("product__cooperative", "product__category__parent")
        .annotate(
            stock_planned=Subquery(stock.values("planned")[:1]),
            stock_confirmed=Subquery(stock.values("confirmed")[:1]),
            stock_sold=Subquery(stock.values("sold")[:1]),
            thumb_image_id=Subquery(first_photo.values("image_id")[:1]),
        )
        .annotate(
            thumb_file=Subquery(thumb.values("file")[:1]),
            thumb_width=Subquery(thumb.values("width")[:1]),
            thumb_height=Subquery(thumb.values("height")[:1]),
        )
        .order_by("sort_order", "pk")
    )


def _offers_finish(offers: list[MarketOffer]) -> list[MarketOffer]:
    """Each offer gets `remaining`, `thumb` (url, width, height, or None), `unit_label` (its
    price's unit: "/ kilo") and `left_text` ("Quedan 3 kilos").

    A thumbnail missing from the database is made once, here. Unit labels, their singular
    and plural after a quantity, and the "left" sentence are translated once per page, not
    once per card (they were 15 % of a 300-offer page).
    """
    rendition_model = get_image_model().get_rendition_model()
    storage = rendition_model._meta.get_field("file").storage
    missing = {o.thumb_image_id for o in offers if o.thumb_image_id and not o.thumb_file}
    made = {}
    if missing:
        for image in get_image_model().objects.filter(pk__in=missing):
            made[image.pk] = image.get_rendition(THUMBNAIL_SPEC)
    labels = {unit.value: str(unit.label) for unit in Unit}
    names = unit_names()
    left = (ngettext("%(left)s left", "%(left)s left", 1), ngettext("%(left)s left", "%(left)s left", 2))
    for offer in offers:
        planned = offer.stock_planned
        offer.remaining = offer_left(
            MarketStock(planned=planned, confirmed=offer.stock_confirmed, sold=offer.stock_sold).remaining
            if planned is not None
            else Decimal("0"),
            offer.product.stock,
        )
        offer.unit_label = labels.get(offer.product.unit, offer.product.unit)
        offer.left_text = left[plural_count(offer.remaining) != 1] % {
            "left": quantity_with_names(offer.remaining, offer.product.unit, names)
        }
        if offer.thumb_file:
            offer.thumb = Thumb(storage.url(offer.thumb_file), offer.thumb_width, offer.thumb_height)
        elif offer.thumb_image_id in made:
            rendition = made[offer.thumb_image_id]
            offer.thumb = Thumb(rendition.url, rendition.width, rendition.height)
        else:
            offer.thumb = None
    return offers


def market_offers(event: MarketEventPage) -> list[MarketOffer]:
    """Every offer on sale, in ONE query (the builder's screens and the cooperative's)."""
    return _offers_finish(list(_offers_read(event)))


@dataclass(frozen=True)
class Thumb:
    url: str
    width: int
    height: int


def market_summary(event: MarketEventPage) -> dict:
    """Public figures of a closed market: never a buyer's name.

    Counts what the market really sold (`counted_market_lines`: no cancelled order, no
    rejected line), by what was delivered where a weight was recorded. Weights (kilo,
    pound, arroba) add up to `kilos`; other units are listed by unit.
    """
    lines = counted_market_lines(event)
    rows = (
        lines.values("unit")
        .annotate(quantity=Sum(Coalesce("delivered_quantity", "quantity")))
        .order_by("unit")
    )
    kilos = Decimal("0")
    by_unit = []
    for row in rows:
        if row["unit"] in KILOS_PER_UNIT:
            kilos += row["quantity"] * KILOS_PER_UNIT[row["unit"]]
        else:
            by_unit.append({"quantity": row["quantity"], "unit": row["unit"]})
    totals = lines.aggregate(
        orders=Count("order", distinct=True),
        # Orders taken by phone are placed by the builder for someone else: that someone
        # is known by her phone.
        households=Count(
            "order__buyer", distinct=True, filter=Q(order__market_link__assisted_by__isnull=True)
        ),
        assisted_households=Count(
            "order__contact_phone", distinct=True, filter=Q(order__market_link__assisted_by__isnull=False)
        ),
        cooperatives=Count("fulfilment__cooperative", distinct=True),
        families=Count("product__producers", distinct=True),
    )
    totals["households"] += totals.pop("assisted_households")
    return {"kilos": kilos, "by_unit": by_unit, **totals}


def storefront(*, event: MarketEventPage, request) -> dict:
    now = timezone.now()
    state = event.state_at(now)
    notes = list(messages.get_messages(request))
    context = {
        "state": state,
        "now": now,
        "channel_key": market_key(event),
        "event_pk": event.pk,
        "page_messages": notes,
    }
    if state == "closed":
        context["summary"] = market_summary(event)
        context["next_market"] = next_market(event=event, now=now)
        return context
    context.update(
        offers_shown(event, wanted=request.GET.get(CATEGORY_PARAM, ""), page=request.GET.get(PAGE_PARAM, ""))
    )
    # The offers are the same for every visitor (`{% shared %}` keeps them rendered) unless
    # a note from the market sits on one of their cards.
    context["offers_fresh"] = any((note.extra_tags or "").startswith("oferta-") for note in notes)
    if state == "upcoming":
        context.update(watch_context(event=event, request=request))
    if state == "open":
        # Read when shown: a storefront kept for every signed-in visitor fills hers per request.
        context["cart"] = SimpleLazyObject(lambda: market_basket(event=event, request=request))
        context["slots"] = SimpleLazyObject(lambda: market_slots(event))  # read when not shared
    if notes:
        context["page_messages"] = _notes_in_place(notes, context)
    return context


def _notes_in_place(notes: list, context: dict) -> list:
    """Put what the market said about a product next to it: on its card (`oferta-<id>`) or its
    basket line (`cesta-<id>`). Returns the notes for the top of the page: the others, and
    those about a product not on this page."""
    places = {}
    if context.get("offers_fresh"):
        places.update((f"oferta-{offer.product_id}", offer) for offer in context["offers"])
    for group in context.get("cart", {}).get("groups", []):
        places.update({f"cesta-{line.product_id}": line for line in group["lines"]})
    for holder in places.values():
        holder.notes = []
    top = []
    for note in notes:
        holder = places.get(note.extra_tags or "")
        if holder is None:
            top.append(note)
        else:
            holder.notes.append(note)
    return top


def basket_session_key(event: MarketEventPage) -> str:
    """Where an anonymous visitor's session holds her basket in this market: she sees it on
    the storefront, so her storefront is rendered for her, never taken from the page cache."""
    return f"{order_services.CART_SESSION_KEY}:{market_key(event)}"


CATEGORY_PARAM = "categoria"
PAGE_PARAM = "pagina"
# A phone's first screen and a little more: the page costs the same at 10 or 1,000 offers.
OFFERS_PER_PAGE = 24


def _categories(event: MarketEventPage) -> tuple[int, list[dict]]:
    """How many offers the market has, and its categories with how many offers each: one query.

    The same categories as the catalogue's, in its order: a product of a subcategory counts
    under its parent (as `catalog.selectors.top_category` lists it).
    """
    rows = (
        offers_on_sale(event)
        .annotate(
            top_slug=Coalesce("product__category__parent__slug", "product__category__slug"),
            top_name=Coalesce("product__category__parent__name", "product__category__name"),
            top_position=Coalesce("product__category__parent__position", "product__category__position"),
        )
        .values("top_slug", "top_name", "top_position")
        .annotate(count=Count("pk"))
        .order_by("top_position", "top_name")
    )
    total = 0
    categories = []
    for row in rows:
        total += row["count"]
        if row["top_slug"] is not None:
            categories.append({"slug": row["top_slug"], "name": row["top_name"], "count": row["count"]})
    return total, categories


def offers_shown(event: MarketEventPage, *, wanted: str = "", page: str = "") -> dict:
    """The categories on offer (with how many offers each) and one page of the offers of
    the chosen one (or of all), filtered and cut in the query: one query whatever the
    number of offers, made only if the page renders them, and one more for the categories
    once per change of the page cache.

    Chosen by plain links (`?categoria=<slug>&pagina=<n>`), so a phone shows only what the
    buyer looks for, without JavaScript; an unknown slug shows everything, a page out of
    range the nearest one.
    """
    total, categories = page_cache.remembered(f"market-categories:{event.pk}", lambda: _categories(event))
    chosen = next((c for c in categories if c["slug"] == wanted), None)
    count = chosen["count"] if chosen else total
    pages = max(1, -(-count // OFFERS_PER_PAGE))
    number = int(page) if page.isascii() and page.isdigit() and len(page) <= 9 else 1
    number = min(max(number, 1), pages)
    page_ids = offers_on_sale(event)
    if chosen is not None:
        page_ids = page_ids.filter(
            Q(product__category__slug=chosen["slug"]) | Q(product__category__parent__slug=chosen["slug"])
        )
    start = (number - 1) * OFFERS_PER_PAGE
    page_ids = page_ids.order_by("sort_order", "pk").values("pk")[start : start + OFFERS_PER_PAGE]
    # The page's ids are chosen first, in a subquery: otherwise the database computes what is
    # left and the thumbnail of every offer before sorting them (SQLite did, at 1,000 offers).
    # Read only when rendered: a page whose offers come from the page cache reads none.
    offers = SimpleLazyObject(lambda: _offers_finish(list(_offers_read(event).filter(pk__in=page_ids))))
    return {
        "offers": offers,
        "offers_count": count,
        "categories": categories if len(categories) > 1 else [],
        "category": chosen,
        "offers_page": {
            "number": number,
            "pages": pages,
            "previous": number - 1 if number > 1 else None,
            "next": number + 1 if number < pages else None,
        },
    }


def market_prices(event: MarketEventPage) -> dict[int, int]:
    """What the market sells each product at, `{product id: price}`, for the offers on sale
    (`offers_on_sale`: a cooperative that left the market, or is no longer verified, sells
    nothing). Kept in the page cache until the next `pages_changed()` (a publish, a
    cooperative saved): a sale does not change it."""
    return page_cache.remembered(
        f"market-prices:{event.pk}",
        lambda: dict(offers_on_sale(event).values_list("product_id", "price_cop")),
    )


def market_basket(*, event: MarketEventPage, request) -> dict:
    """The visitor's basket in this market, priced at the market's prices: one query (and
    one more for the prices once per change of the page cache).

    Same shape as `orders.selectors.cart_summary` (groups per cooperative, `count`,
    `total_cop`), which would take five queries here. A line the market no longer sells
    is listed with `problem` and no price. The cart is found as `orders.services.cart_get`
    finds it: the user's, or the one whose token the visitor's session holds. The prices
    come from `market_prices`, read only when the basket has lines.
    """
    key = market_key(event)
    empty = {"groups": [], "total_cop": 0, "count": 0}
    if request.user.is_authenticated:
        lines = CartLine.objects.filter(cart__user=request.user, cart__channel_key=key)
    else:
        token = request.session.get(f"{order_services.CART_SESSION_KEY}:{key}")
        if not token:
            return empty
        lines = CartLine.objects.filter(cart__user__isnull=True, cart__session_key=token)
    order = ("product__cooperative__name", "product__name", "pk")
    lines = list(lines.select_related("product__cooperative").order_by(*order))
    if not lines:
        return empty
    prices = market_prices(event)
    groups: dict[int, dict] = {}
    total = 0
    for line in lines:
        price = prices.get(line.product_id)
        if price is None:
            line.unit_price_cop = 0
            line.problem = _("%(name)s is not offered in this market.") % {"name": line.product.name}
        else:
            line.unit_price_cop = price
        line.total_cop = line_total_cop(line.unit_price_cop, line.quantity)
        total += line.total_cop
        cooperative = line.product.cooperative
        group = groups.setdefault(
            cooperative.pk, {"cooperative": cooperative, "lines": [], "subtotal_cop": 0}
        )
        group["lines"].append(line)
        group["subtotal_cop"] += line.total_cop
    return {"groups": list(groups.values()), "total_cop": total, "count": len(lines)}
