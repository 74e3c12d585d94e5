"""Reads for market pages. The storefront runs the same few queries for 10 or 300 offers."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from catalog.selectors import photos_prefetch
from cms.channels import MarketChannel, market_key
from cms.models import MarketEventPage, MarketOffer, MarketOrder, MarketStock, PickupSlot
from orders import selectors as order_selectors
from orders import services as order_services
from orders.models import OrderLine, OrderStatus

_COUNTED = ~Q(order__status__in=[OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.AWAITING_PAYMENT])


def market_offers(event: MarketEventPage) -> list[MarketOffer]:
    """Offers with product, cooperative, place, photos and what is left, in fixed queries."""
    offers = list(
        MarketOffer.objects.filter(page=event)
        .select_related("product__cooperative__municipality__department", "product__category")
        .prefetch_related(photos_prefetch("product__photos"))
        .order_by("sort_order", "pk")
    )
    stock = {s.product_id: s for s in MarketStock.objects.filter(event=event)}
    for offer in offers:
        row = stock.get(offer.product_id)
        offer.remaining = row.remaining if row else Decimal("0")
    return offers


def market_slots(event: MarketEventPage) -> list[PickupSlot]:
    slots = list(
        PickupSlot.objects.filter(page=event)
        .select_related("pickup_point", "usage")
        .order_by("starts_at", "pk")
    )
    for slot in slots:
        taken = slot.usage.taken if hasattr(slot, "usage") else 0
        slot.remaining = max(slot.capacity - taken, 0)
    return slots


def market_summary(event: MarketEventPage) -> dict:
    """Public figures of a closed market: never a buyer's name."""
    lines = OrderLine.objects.filter(_COUNTED, order__channel_key=market_key(event))
    by_unit = list(lines.values("unit").annotate(quantity=Sum("quantity")).order_by("unit"))
    totals = lines.aggregate(
        orders=Count("order", distinct=True),
        households=Count("order__buyer", distinct=True),
        cooperatives=Count("fulfilment__cooperative", distinct=True),
        families=Count("product__producers", distinct=True),
    )
    return {"by_unit": by_unit, **totals}


def storefront(*, event: MarketEventPage, request) -> dict:
    now = timezone.now()
    state = event.state_at(now)
    context = {"state": state, "now": now, "channel_key": market_key(event)}
    if state == "closed":
        context["summary"] = market_summary(event)
        return context
    context["offers"] = market_offers(event)
    if state == "open":
        cart = order_services.cart_get(
            user=request.user, session=request.session, channel_key=market_key(event)
        )
        context["cart"] = order_selectors.cart_summary(cart, channel=MarketChannel(event))
        context["slots"] = market_slots(event)
    return context


def market_orders_for_builder(event: MarketEventPage):
    """Every order of a market with its lines, slot and buyer, for the Market Builder."""
    return (
        MarketOrder.objects.filter(event=event)
        .select_related("order__buyer", "slot__pickup_point")
        .prefetch_related("order__lines", "order__fulfilments__cooperative")
        .order_by("slot__starts_at", "order__placed_at")
    )


def market_consolidated(event: MarketEventPage) -> list[dict]:
    """What each cooperative brings: totals per cooperative and product."""
    rows = (
        OrderLine.objects.filter(_COUNTED, order__channel_key=market_key(event))
        .exclude(status="rejected")
        .values("fulfilment__cooperative__name", "fulfilment__cooperative_id", "product_name", "unit")
        .annotate(quantity=Sum("quantity"), total_cop=Sum("total_cop"), orders=Count("order", distinct=True))
        .order_by("fulfilment__cooperative__name", "product_name")
    )
    grouped = defaultdict(list)
    for row in rows:
        grouped[row["fulfilment__cooperative__name"]].append(row)
    return [{"cooperative": name, "lines": lines} for name, lines in grouped.items()]
