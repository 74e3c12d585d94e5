"""The storefront of one market, as a buyer sees it: the offers on sale (what is left, the
thumbnail), chosen by category, her basket, the pickup slots to choose from, and once the
market closed its public figures. The same few queries for 10 or 300 offers.

Rendered by `MarketEventPage.get_context`; its forms are handled by
`cms.markets.storefront_views`.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model

from catalog.models import ProductPhoto
from catalog.selectors import top_category
from cms.markets.channel import market_key, offer_left, offers_on_sale
from cms.markets.report import counted_market_lines
from cms.markets.slots import market_slots
from cms.markets.watch_form import watch_context
from cms.models import MarketEventPage, MarketOffer, MarketStock
from cms.selectors import next_market
from market.images import THUMBNAIL_SPEC
from market.money import line_total_cop
from market.units import KILOS_PER_UNIT, Unit
from orders import services as order_services
from orders.models import CartLine


def market_offers(event: MarketEventPage) -> list[MarketOffer]:
    """Offers on sale with product, cooperative, what is left and the thumbnail, in ONE query.

    The storefront must stay within its query budget whatever the number of offers (issue
    5: at most 12 for a signed-in buyer, Wagtail's routing included), so what is left and
    the first photo's thumbnail rendition (made at upload, `THUMBNAIL_SPEC`) are read by
    subqueries instead of prefetches. A thumbnail missing from the database is made once,
    here. Each offer gets `remaining` and `thumb` (url, width, height, or None).
    """
    rendition_model = get_image_model().get_rendition_model()
    stock = MarketStock.objects.filter(event=event.pk, product=OuterRef("product_id"))
    first_photo = ProductPhoto.objects.filter(product=OuterRef("product_id")).order_by("position", "pk")
    thumb = rendition_model.objects.filter(
        image=OuterRef("thumb_image_id"), filter_spec=THUMBNAIL_SPEC
    ).order_by("-pk")
    offers = list(
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
    storage = rendition_model._meta.get_field("file").storage
    missing = {o.thumb_image_id for o in offers if o.thumb_image_id and not o.thumb_file}
    made = {}
    if missing:
        for image in get_image_model().objects.filter(pk__in=missing):
            made[image.pk] = image.get_rendition(THUMBNAIL_SPEC)
    for offer in offers:
        planned = offer.stock_planned
        offer.remaining = offer_left(
            MarketStock(planned=planned, confirmed=offer.stock_confirmed, sold=offer.stock_sold).remaining
            if planned is not None
            else Decimal("0"),
            offer.product.stock,
        )
        if offer.thumb_file:
            offer.thumb = Thumb(storage.url(offer.thumb_file), offer.thumb_width, offer.thumb_height)
        elif offer.thumb_image_id in made:
            rendition = made[offer.thumb_image_id]
            offer.thumb = Thumb(rendition.url, rendition.width, rendition.height)
        else:
            offer.thumb = None
    return offers


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
            by_unit.append({"quantity": row["quantity"], "unit": Unit(row["unit"]).label})
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
    context = {"state": state, "now": now, "channel_key": market_key(event)}
    if state == "closed":
        context["summary"] = market_summary(event)
        context["next_market"] = next_market(event=event, now=now)
        return context
    offers = market_offers(event)
    context.update(offers_by_category(offers, request.GET.get(CATEGORY_PARAM, "")))
    if state == "upcoming":
        context.update(watch_context(event=event, request=request))
    if state == "open":
        context["cart"] = market_basket(event=event, request=request, offers=offers)
        context["slots"] = market_slots(event)
    return context


CATEGORY_PARAM = "categoria"


def offers_by_category(offers: list[MarketOffer], wanted: str) -> dict:
    """The categories on offer (with how many offers each) and the offers of the chosen one.

    The same categories as the catalogue's, in its order: a product of a subcategory is
    listed under its parent (`catalog.selectors.top_category`). Chosen by a plain link
    (`?categoria=<slug>`), so a phone shows only what the buyer looks for, without
    JavaScript; an unknown slug shows everything.
    """
    categories: dict[str, dict] = {}
    for offer in offers:
        category = top_category(offer.product.category)
        offer.top_category_slug = category.slug if category is not None else ""
        if category is not None:
            entry = categories.setdefault(
                category.slug,
                {
                    "slug": category.slug,
                    "name": category.name,
                    "count": 0,
                    "order": (category.position, category.name),
                },
            )
            entry["count"] += 1
    chosen = categories.get(wanted)
    if chosen is not None:
        offers = [offer for offer in offers if offer.top_category_slug == wanted]
    return {
        "offers": offers,
        "categories": sorted(categories.values(), key=lambda c: c["order"]) if len(categories) > 1 else [],
        "category": chosen,
    }


def market_basket(*, event: MarketEventPage, request, offers: list[MarketOffer]) -> dict:
    """The visitor's basket in this market, priced from the offers already read: one query.

    Same shape as `orders.selectors.cart_summary` (groups per cooperative, `count`,
    `total_cop`), which would take five queries here. A line the market no longer sells
    is listed with `problem` and no price. The cart is found as `orders.services.cart_get`
    finds it: the user's, or the one whose token the visitor's session holds.
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
    lines = list(
        lines.select_related("product__cooperative").order_by(
            "product__cooperative__name", "product__name", "pk"
        )
    )
    if not lines:
        return empty
    on_sale = {offer.product_id: offer for offer in offers}
    groups: dict[int, dict] = {}
    total = 0
    for line in lines:
        offer = on_sale.get(line.product_id)
        if offer is None:
            line.unit_price_cop = 0
            line.problem = _("%(name)s is not offered in this market.") % {"name": line.product.name}
        else:
            line.unit_price_cop = offer.price_cop
        line.total_cop = line_total_cop(line.unit_price_cop, line.quantity)
        total += line.total_cop
        cooperative = line.product.cooperative
        group = groups.setdefault(
            cooperative.pk, {"cooperative": cooperative, "lines": [], "subtotal_cop": 0}
        )
        group["lines"].append(line)
        group["subtotal_cop"] += line.total_cop
    return {"groups": list(groups.values()), "total_cop": total, "count": len(lines)}
