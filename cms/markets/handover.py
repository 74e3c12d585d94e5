"""How a market order is handed over: at its pickup slot's place and time, or delivered on
market day. Registered with `orders.handover` when the app starts (`cms.apps`), so every
order page and e-mail shows it without `orders` importing `cms`.
"""

from cms.models import MarketOrder
from orders.handover import Handover, calendar_url
from orders.models import DeliveryMethod, Order

# What `handover_from_link` reads: join it when loading the links.
LINK_JOINS = ("slot__pickup_point__municipality", "event__municipality")


def market_handovers(orders: list[Order]) -> dict[int, Handover]:
    """`{order.pk: Handover}` for market orders: one query for all of them."""
    by_order = {order.pk: order for order in orders}
    links = MarketOrder.objects.filter(order_id__in=list(by_order)).select_related(*LINK_JOINS)
    return {link.order_id: handover_from_link(link, by_order[link.order_id]) for link in links}


def handover_from_link(link: MarketOrder, order: Order) -> Handover:
    """The handover of `order`, placed in the market of `link` (loaded with `LINK_JOINS`)."""
    event = link.event
    if order.delivery_method == DeliveryMethod.DELIVERY:
        return Handover(
            kind=DeliveryMethod.DELIVERY,
            address=order.delivery_address,
            municipality=event.municipality.name,
            day=event.market_day,
            day_end=event.market_day_end,
        )
    if link.slot is None:
        # The slot was removed from the market after she booked it: what she booked.
        return Handover(kind=DeliveryMethod.PICKUP, place=link.slot_label, day=event.market_day)
    point = link.slot.pickup_point
    return Handover(
        kind=DeliveryMethod.PICKUP,
        place=point.name,
        address=point.address,
        municipality=point.municipality.name,
        instructions=point.instructions,
        starts_at=link.slot.starts_at,
        ends_at=link.slot.ends_at,
        ics_url=calendar_url(order),
    )
