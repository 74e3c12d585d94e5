"""The Market Builder's report on one market: what each cooperative brings, the packing
list per buyer, the lists per pickup slot and for delivery, and its CSV rows; and what a
market really sold (`counted_market_lines`), which the storefront's public figures and
the cooperative's lists count too.

The same few queries for 5 or 500 orders. Shown by `cms.markets.builder_views`.
"""

from collections import defaultdict

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import WorkflowState

from cms.markets.channel import market_key
from cms.markets.permissions import builder_markets
from cms.markets.slots import market_slots
from cms.models import MarketEventPage, MarketOrder, MarketState, MarketStock
from market.models import Message, MessageState
from market.spreadsheets import inert, phone_text
from orders import selectors as order_selectors
from orders.models import (
    ORDER_NOT_PLACED,
    DeliveryMethod,
    LineStatus,
    OrderLine,
)


def counted_market_lines(event: MarketEventPage):
    """Order lines a market really sells: placed orders, parts and lines not rejected
    (`OrderLine.objects.counted`, the rule every report shares)."""
    return OrderLine.objects.counted().filter(order__channel_key=market_key(event))


def market_orders_for_builder(event: MarketEventPage):
    """The orders of a market to pack and hand over, for the Market Builder: placed and not
    cancelled or expired (a card order still waiting for its payment is not one yet), with
    buyer, organisation, slot, lines (with each line's cooperative) and fulfilments."""
    return (
        MarketOrder.objects.filter(event=event)
        .exclude(order__status__in=ORDER_NOT_PLACED)
        .select_related("order__buyer", "order__organization", "slot__pickup_point", "assisted_by")
        .prefetch_related(
            Prefetch("order__lines", queryset=OrderLine.objects.select_related("fulfilment__cooperative")),
            "order__fulfilments__cooperative",
        )
        .order_by("slot__starts_at", "order__placed_at", "pk")
    )


def market_consolidated(event: MarketEventPage) -> list[dict]:
    """What each cooperative brings: totals per cooperative and product, what was ordered
    (`quantity`) and, apart, what was delivered (`delivered`, over `delivered_lines` of its
    `lines`: a cooperative records what it really weighed)."""
    rows = (
        counted_market_lines(event)
        .values("fulfilment__cooperative__name", "fulfilment__cooperative_id", "product_name", "unit")
        .annotate(
            quantity=Sum("quantity"),
            delivered=Sum("delivered_quantity"),
            lines=Count("pk"),
            delivered_lines=Count("delivered_quantity"),
            total_cop=Sum("total_cop"),
            orders=Count("order", distinct=True),
        )
        .order_by("fulfilment__cooperative__name", "product_name")
    )
    grouped, names = defaultdict(list), {}
    for row in rows:
        names[row["fulfilment__cooperative_id"]] = row["fulfilment__cooperative__name"]
        grouped[row["fulfilment__cooperative_id"]].append(row)
    return [{"cooperative": names[pk], "cooperative_id": pk, "lines": lines} for pk, lines in grouped.items()]


def markets_with_order_counts(markets):
    """`markets` (a MarketEventPage queryset) with `order_count`: placed, not ended."""
    return markets.annotate(
        order_count=Count("market_orders", filter=~Q(market_orders__order__status__in=ORDER_NOT_PLACED))
    )


def _attach_last_messages(links) -> None:
    """Each order's latest message to its buyer (`last_message`): whether the person was told,
    and whether it was delivered. One query for all the orders."""
    about = {f"order:{link.order_id}": link for link in links}
    for link in links:
        link.last_message = None
    rows = (
        Message.objects.filter(about__in=about)
        .exclude(state__in=[MessageState.STANDBY, MessageState.SKIPPED])
        .order_by("created_at", "pk")
    )
    for message in rows:
        about[message.about].last_message = message


def market_report(event: MarketEventPage) -> dict:
    """The Market Builder's report: what each cooperative brings, the packing list per
    buyer, the lists per pickup slot and for delivery. Same queries for 5 or 500 orders.

    Each order (a MarketOrder) gets `contact` and `phone` (the person who collects: the
    contact of an assisted order, else the buyer) and `packed_lines` (not rejected).
    """
    orders = list(market_orders_for_builder(event))
    by_slot, delivery = defaultdict(list), []
    for link in orders:
        order = link.order
        link.contact = order.contact_name or order_selectors.buyer_label(order)
        link.phone = order.contact_phone or order.buyer.phone
        link.packed_lines = [line for line in order.lines.all() if line.status != LineStatus.REJECTED]
        if order.delivery_method == DeliveryMethod.DELIVERY:
            delivery.append(link)
        else:
            by_slot[link.slot_id].append(link)
    _attach_last_messages(orders)
    pickups = [{"slot": slot, "orders": by_slot.pop(slot.pk, [])} for slot in market_slots(event)]
    # A slot removed from the page after orders took it: its orders still need packing.
    orphans = [link for links in by_slot.values() for link in links]
    if orphans:
        pickups.append({"slot": None, "orders": orphans})
    return {
        "consolidated": market_consolidated(event),
        "orders": sorted(orders, key=lambda link: (link.contact.casefold(), link.order.number)),
        "pickups": pickups,
        "delivery": delivery,
        "order_count": len(orders),
        "handed_over_count": sum(1 for link in orders if link.handed_over_at),
        "total_cop": sum(link.order.total_cop for link in orders),
    }


def market_report_csv(report: dict) -> list[list]:
    """The report's CSV: a header, then one row per packed order line: who, where, what,
    from which cooperative. `report` is what `market_report` returned.

    Text people typed goes out `inert` (no spreadsheet formulas), phones as text a
    spreadsheet keeps (`phone_text`: the + and any leading zero stay); quantities as Decimals
    (written with a decimal comma); times in the site's time zone. The builder's view writes it with
    `market.spreadsheets.csv_download` (UTF-8 with a byte-order mark).
    """
    rows = [
        [
            _("Order"),
            _("Buyer"),
            _("Phone"),
            _("Pickup or delivery"),
            _("Delivery address"),
            _("Cooperative"),
            _("Product"),
            _("Unit"),
            _("Quantity ordered"),
            _("Quantity delivered"),
            _("Line total (COP)"),
            _("Order total (COP)"),
            _("Payment"),
            _("Handed over"),
        ]
    ]
    for link in report["orders"]:
        order = link.order
        where = link.slot_label if order.delivery_method == "pickup" else order.get_delivery_method_display()
        handed_over = (
            timezone.localtime(link.handed_over_at).strftime("%Y-%m-%d %H:%M") if link.handed_over_at else ""
        )
        for line in link.packed_lines:
            rows.append(
                [
                    order.number,
                    inert(link.contact),
                    phone_text(link.phone),
                    inert(where),
                    inert(order.delivery_address),
                    inert(line.fulfilment.cooperative.name),
                    inert(line.product_name),
                    line.get_unit_display(),
                    line.quantity,
                    line.delivered_quantity if line.delivered_quantity is not None else "",
                    line.total_cop,
                    order.total_cop,
                    order.get_payment_method_display(),
                    handed_over,
                ]
            )
    return rows


def builder_dashboard(user, *, now=None, limit: int | None = 8) -> list:
    """The Market Builder's latest markets for her Wagtail home (staff: everyone's), newest
    first, each with `state` and `state_label` (draft, waiting for approval, or the clock's),
    `order_count`, and `unconfirmed`: the names of the participating cooperatives that have
    not confirmed their quantities of a market not yet open. Three queries whatever the
    number of markets, orders and cooperatives."""
    now = now or timezone.now()
    markets = list(
        markets_with_order_counts(builder_markets(user))
        .select_related("municipality")
        .order_by("-opens_at", "-pk")[:limit]
    )
    ids = [m.pk for m in markets]
    waiting = set(
        WorkflowState.objects.filter(
            base_content_type__model="page",
            object_id__in=[str(pk) for pk in ids],
            status=WorkflowState.STATUS_IN_PROGRESS,
        ).values_list("object_id", flat=True)
    )
    unconfirmed = defaultdict(list)
    rows = (
        MarketStock.objects.filter(event_id__in=ids, confirmed__isnull=True, planned__gt=0)
        .values_list("event_id", "product__cooperative__name")
        .distinct()
        .order_by("event_id", "product__cooperative__name")
    )
    for event_id, name in rows:
        unconfirmed[event_id].append(name)
    for market in markets:
        market.state = market.state_at(now)
        if str(market.pk) in waiting:
            market.state_label = _("Waiting for approval")
        elif not market.live:
            market.state_label = _("Draft")
        else:
            market.state_label = MarketState(market.state).label
        upcoming = market.live and market.state == MarketState.UPCOMING
        market.unconfirmed = unconfirmed.get(market.pk, []) if upcoming else []
    return markets
