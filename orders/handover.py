"""How an order is handed over: where and when the buyer picks it up, or where it is delivered.

One `Handover` per order, read for a whole page at once by `handovers_for(orders)`, and
shown by one partial (`orders/includes/handover.html`, `.txt` for plain-text e-mails) on
every page and e-mail about an order.

`orders` must not import `cms` (dependencies point one way), so the channels that know
more than the order itself (a market's pickup slot) register a resolver here when their
app starts (`register`), as they register their sales channel in `orders.channels`. A
resolver takes a list of orders and answers for all of them in one or two queries,
whatever their number, so a list page costs the same for 5 orders or 500. The catalogue's
own resolver is below: delivery to the order's address, or pickup at each cooperative.
"""

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from market.templatetags.money import long_date
from market.text import fold
from orders.models import DeliveryMethod, Fulfilment, Order

MAP_SEARCH_URL = "https://www.google.com/maps/search/"
NBSP = "\u00a0"


@dataclasses.dataclass(frozen=True)
class Handover:
    """Where and when one order changes hands. Texts are as people typed them.

    `starts_at`/`ends_at` are aware datetimes (a market's pickup slot) or None; `day` and
    `day_end` are a delivery day without hours (a market's day). `cooperative_id` names the
    cooperative whose place this is, for a catalogue pickup; `more` holds the places of the
    order's other cooperatives then (one handover a place, never nested deeper).
    """

    kind: str  # DeliveryMethod: "pickup" or "delivery"
    place: str = ""
    address: str = ""
    municipality: str = ""
    instructions: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    day: date | None = None
    day_end: date | None = None
    ics_url: str = ""
    cooperative_id: int | None = None
    at_cooperative: bool = False
    more: tuple["Handover", ...] = ()

    @property
    def is_pickup(self) -> bool:
        return self.kind == DeliveryMethod.PICKUP

    @property
    def is_delivery(self) -> bool:
        return self.kind == DeliveryMethod.DELIVERY

    @property
    def places(self) -> tuple["Handover", ...]:
        """This place and the others of the same order (a catalogue pickup at several cooperatives)."""
        return (self, *self.more)

    def for_cooperative(self, cooperative_id: int) -> "Handover":
        """What one cooperative needs to know: its own place for a catalogue pickup, else all of it."""
        for place in self.places:
            if place.cooperative_id == cooperative_id:
                return dataclasses.replace(place, more=())
        return self

    @property
    def title(self) -> str:
        """What it is, in a few words: "Recogida en Parque principal", "Entrega a domicilio"."""
        if self.is_delivery:
            return _("Home delivery")
        if self.at_cooperative:
            return _("Pickup at the cooperative %(name)s") % {"name": self.place}
        if self.place:
            return _("Pickup at %(place)s") % {"place": self.place}
        return _("Pickup")

    @property
    def short(self) -> str:
        """A few words for a list: the pickup place, "Recogida en la cooperativa", "Entrega a domicilio"."""
        if self.is_delivery:
            return _("Home delivery")
        if self.at_cooperative:
            return ngettext("Pickup at the cooperative", "Pickup at each cooperative", len(self.places))
        return self.place or _("Pickup")

    @property
    def where(self) -> str:
        """The address with its municipality, unless the address already names it."""
        parts = [self.address.strip()]
        if self.municipality and fold(self.municipality) not in fold(self.address):
            parts.append(self.municipality)
        return ", ".join(p for p in parts if p)

    @property
    def map_url(self) -> str:
        """A map search for the address (none without an address: a name alone finds nothing sure)."""
        if not self.address.strip():
            return ""
        return MAP_SEARCH_URL + "?" + urlencode({"api": "1", "query": self.where})

    @property
    def when(self) -> str:
        """The day in words and the time window, in Bogotá: "sábado 12 de diciembre, de 8:00 a 9:00 a. m."."""
        if self.starts_at and self.ends_at:
            return time_window(self.starts_at, self.ends_at)
        if self.starts_at:
            start = bogota(self.starts_at)
            return f"{long_date(start.date())}, {clock(start)}"
        if self.day and self.day_end and self.day_end != self.day:
            return _("from %(start)s to %(end)s") % {
                "start": long_date(self.day),
                "end": long_date(self.day_end),
            }
        if self.day:
            return long_date(self.day)
        return ""

    @property
    def location(self) -> str:
        """One line for a calendar's LOCATION: place, address, municipality."""
        return ", ".join(p for p in (self.place if not self.is_delivery else "", self.where) if p)


# --- Times in words ----------------------------------------------------------------------


def _meridiem(value: datetime) -> str:
    if value.hour < 12:
        return pgettext("time of day", "a.m.")
    return pgettext("time of day", "p.m.")


def clock(value: datetime, *, meridiem: bool = True) -> str:
    """8:00 a. m., 1:30 p. m. (12-hour, as people in Colombia say it), never broken across lines."""
    text = date_format(value, "g:i")
    if not meridiem:
        return text
    return f"{text} {_meridiem(value)}".replace(" ", NBSP)


def bogota(value: datetime) -> datetime:
    """`value` in the site's time zone (America/Bogota), whatever zone is active."""
    return timezone.localtime(value, timezone.get_default_timezone())


def time_window(starts_at: datetime, ends_at: datetime) -> str:
    """The day in words and the window, in Bogotá: "sábado 12 de diciembre, de 8:00 a 9:00 a. m."."""
    start, end = bogota(starts_at), bogota(ends_at)
    if start.date() != end.date():
        return _("from %(start)s to %(end)s") % {
            "start": f"{long_date(start.date())}, {clock(start)}",
            "end": f"{long_date(end.date())}, {clock(end)}",
        }
    same_half = (start.hour < 12) == (end.hour < 12)
    return _("%(day)s, from %(start)s to %(end)s") % {
        "day": long_date(start.date()),
        "start": clock(start, meridiem=not same_half),
        "end": clock(end),
    }


# --- The registry ------------------------------------------------------------------------

Resolver = Callable[[list[Order]], dict[int, Handover]]
_resolvers: dict[str, Resolver] = {}


def register(prefix: str, resolver: Resolver) -> None:
    """Let another app say how its orders are handed over: orders whose `channel_key` is
    `"<prefix>:<id>"` go to `resolver`, which answers for a list of them in a fixed
    number of queries (`{order.pk: Handover}`; an order it leaves out gets the fallback)."""
    _resolvers[prefix] = resolver


def handovers_for(orders: Iterable[Order]) -> dict[int, Handover]:
    """`{order.pk: Handover}` for every order given, in a fixed number of queries: one or two
    a channel that has orders in the list, whatever their number."""
    orders = [order for order in orders if order.pk is not None]
    groups: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        groups[order.channel_key.split(":", 1)[0] if order.channel_key else ""].append(order)
    found: dict[int, Handover] = {}
    for prefix, group in groups.items():
        resolver = _resolvers.get(prefix) if prefix else catalog_handovers
        if resolver is not None:
            found.update(resolver(group))
    return {order.pk: found.get(order.pk) or fallback_handover(order) for order in orders}


def attach_handovers(orders: Iterable[Order]) -> list[Order]:
    """The orders, each with its `handover` set (what the templates read); one batch."""
    orders = list(orders)
    handovers = handovers_for(orders)
    for order in orders:
        order.handover = handovers[order.pk]
    return orders


def handover_of(order: Order) -> Handover:
    """One order's handover: the one attached by `attach_handovers`, else read now."""
    attached = order.__dict__.get("handover")
    if attached is None:
        attached = order.handover = handovers_for([order])[order.pk]
    return attached


def calendar_url(order: Order) -> str:
    """The buyer's own .ics for her pickup window (`orders.views.order_calendar`)."""
    return reverse("orders:calendar", args=[order.number])


def fallback_handover(order: Order) -> Handover:
    """What the order row alone says: the delivery address, or a pickup with nothing more known."""
    if order.delivery_method == DeliveryMethod.DELIVERY:
        return Handover(kind=DeliveryMethod.DELIVERY, address=order.delivery_address)
    return Handover(kind=DeliveryMethod.PICKUP)


def _at_cooperative(cooperative) -> Handover:
    municipality = cooperative.municipality.name if cooperative.municipality_id else ""
    return Handover(
        kind=DeliveryMethod.PICKUP,
        place=cooperative.name,
        address=cooperative.pickup_address,
        municipality=municipality,
        cooperative_id=cooperative.pk,
        at_cooperative=True,
    )


def catalog_handover_placed(order: Order, fulfilments) -> Handover:
    """`catalog_handovers` for an order being placed, from its fulfilments in memory (their
    cooperatives loaded with their municipalities): no query."""
    if order.delivery_method == DeliveryMethod.DELIVERY:
        return fallback_handover(order)
    found = [
        _at_cooperative(f.cooperative) for f in sorted(fulfilments, key=lambda f: (f.cooperative.name, f.pk))
    ]
    if not found:
        return fallback_handover(order)
    return dataclasses.replace(found[0], more=tuple(found[1:]))


def catalog_handovers(orders: list[Order]) -> dict[int, Handover]:
    """Catalogue orders: delivery to the address she gave; pickup at each cooperative of the
    order, at its pickup address (or, without one, "at the cooperative" with its name and
    municipality). One query for all the pickup orders."""
    result = {o.pk: fallback_handover(o) for o in orders if o.delivery_method == DeliveryMethod.DELIVERY}
    pickup_ids = [o.pk for o in orders if o.delivery_method != DeliveryMethod.DELIVERY]
    if not pickup_ids:
        return result
    places: dict[int, list[Handover]] = defaultdict(list)
    fulfilments = (
        Fulfilment.objects.filter(order_id__in=pickup_ids)
        .select_related("cooperative__municipality")
        .order_by("order_id", "cooperative__name", "pk")
    )
    for fulfilment in fulfilments:
        places[fulfilment.order_id].append(_at_cooperative(fulfilment.cooperative))
    for order_id, found in places.items():
        result[order_id] = dataclasses.replace(found[0], more=tuple(found[1:]))
    return result
