"""Reads of a market seen by ONE cooperative: its offers, what to bring, its packing list.

Every function takes the cooperative and filters on it in SQL, so another cooperative's
offers, lines or buyers never reach a template or an e-mail. Used by the cooperative
workspace (`cms.markets.cooperative_views`) and the closing e-mails (`cms.markets.closing`).

Which markets a cooperative "participates in": published at least once (so it has live
counters), and either listing the cooperative among its participants or offering one of
its products. A market unpublished later stays visible, so its lists are never lost.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum

from cms.markets.channel import market_key
from cms.markets.handover import LINK_JOINS, handover_from_link
from cms.markets.report import counted_market_lines
from cms.models import MarketEventPage, MarketOffer, MarketOrder, MarketState, MarketStock
from orders.handover import fallback_handover
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_NOT_PLACED,
    Fulfilment,
    LineStatus,
    OrderLine,
)
from orders.selectors import buyer_label

# Orders that do not count for what a cooperative brings (and get no reminder).


def cooperative_markets(cooperative):
    """The markets `cooperative` takes part in, soonest closing first."""
    return (
        MarketEventPage.objects.originals()
        .filter(first_published_at__isnull=False)
        .filter(Q(cooperatives=cooperative) | Q(offers__product__cooperative=cooperative))
        .select_related("municipality__department")
        .distinct()
        .order_by("closes_at", "pk")
    )


def cooperative_markets_by_state(cooperative, now) -> dict[str, list[MarketEventPage]]:
    """{"open": [...], "upcoming": [...], "closed": [...]} (past markets newest first)."""
    grouped = {MarketState.OPEN: [], MarketState.UPCOMING: [], MarketState.CLOSED: []}
    for event in cooperative_markets(cooperative):
        grouped[event.state_at(now)].append(event)
    grouped[MarketState.CLOSED].reverse()
    return {str(state): events for state, events in grouped.items()}


def cooperative_market(cooperative, page_id: int) -> MarketEventPage | None:
    """One market of the cooperative, or None (the view answers 404)."""
    return cooperative_markets(cooperative).filter(pk=page_id).first()


@dataclass
class OfferRow:
    """One product of the cooperative in a market, with its live counters."""

    product: object
    price_cop: int
    max_per_buyer: Decimal | None
    stock: MarketStock | None
    planned: Decimal = Decimal("0")
    confirmed: Decimal | None = None
    sold: Decimal = Decimal("0")
    capacity: Decimal = Decimal("0")
    error: str = ""
    form_value: str = field(default="")


def cooperative_offers(*, event: MarketEventPage, cooperative) -> list[OfferRow]:
    """The cooperative's offers in `event`, one row per product, in two queries."""
    offers = (
        MarketOffer.objects.filter(page=event, product__cooperative=cooperative)
        .select_related("product")
        .order_by("sort_order", "pk")
    )
    stock = {
        s.product_id: s
        for s in MarketStock.objects.filter(event=event, product__cooperative=cooperative).select_related(
            "confirmed_by"
        )
    }
    rows: dict[int, OfferRow] = {}
    for offer in offers:
        if offer.product_id in rows:
            continue
        row = stock.get(offer.product_id)
        rows[offer.product_id] = OfferRow(
            product=offer.product,
            price_cop=offer.price_cop,
            max_per_buyer=offer.max_per_buyer,
            stock=row,
            planned=row.planned if row else offer.quantity,
            confirmed=row.confirmed if row else None,
            sold=row.sold if row else Decimal("0"),
            capacity=row.capacity if row else offer.quantity,
        )
    return list(rows.values())


def _counted_lines(*, event: MarketEventPage, cooperative):
    return counted_market_lines(event).filter(fulfilment__cooperative=cooperative)


def cooperative_consolidated(*, event: MarketEventPage, cooperative) -> list[dict]:
    """What the cooperative brings: per product, the quantity, its unit and how many orders."""
    rows = list(
        _counted_lines(event=event, cooperative=cooperative)
        .values("product_id", "product_name", "unit")
        .annotate(quantity=Sum("quantity"), total_cop=Sum("total_cop"), orders=Count("order", distinct=True))
        .order_by("product_name", "unit")
    )
    return rows


def cooperative_packing(*, event: MarketEventPage, cooperative) -> list[Fulfilment]:
    """The cooperative's part of each counted order of the market, by slot then time.

    Each fulfilment carries `buyer_name`, `phone`, `market_link` (slot or delivery) and
    `packed_lines` (its own lines, rejected ones left out); its order carries `handover`
    (place, address and window, or delivery; `orders.handover`). Four queries, any size.
    """
    lines = OrderLine.objects.exclude(status=LineStatus.REJECTED).order_by("product_name", "pk")
    fulfilments = list(
        Fulfilment.objects.filter(cooperative=cooperative, order__channel_key=market_key(event))
        .exclude(order__status__in=ORDER_NOT_PLACED)
        .exclude(status__in=FULFILMENT_ENDED)
        .select_related("order__buyer", "order__organization")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="packed_lines"))
        .order_by("order__placed_at", "pk")
    )
    links = {
        link.order_id: link
        for link in MarketOrder.objects.filter(
            event=event, order_id__in=[f.order_id for f in fulfilments]
        ).select_related(*LINK_JOINS)
    }
    for fulfilment in fulfilments:
        order = fulfilment.order
        fulfilment.market_link = links.get(order.pk)
        link = fulfilment.market_link
        order.handover = handover_from_link(link, order) if link else fallback_handover(order)
        fulfilment.buyer_name = order.contact_name or buyer_label(order)
        fulfilment.phone = order.contact_phone or getattr(order.buyer, "phone", "") or ""
    fulfilments = [f for f in fulfilments if f.packed_lines]

    def slot_order(fulfilment):
        link = fulfilment.market_link
        slot = link.slot if link else None
        # Pickup slots in time order, then deliveries, then anything unlinked.
        return (0, slot.starts_at.timestamp()) if slot else (1 if link else 2, 0)

    return sorted(fulfilments, key=slot_order)


def market_participants(event: MarketEventPage) -> list:
    """Cooperatives told at closing: the listed participants and any with offers."""
    from cooperatives.models import Cooperative

    return list(
        Cooperative.objects.filter(
            Q(pk__in=MarketEventPage.objects.filter(pk=event.pk).values("cooperatives"))
            | Q(pk__in=MarketOffer.objects.filter(page=event).values("product__cooperative"))
        )
        .distinct()
        .order_by("name")
    )
