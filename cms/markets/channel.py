"""A market as a sales channel of `orders`: its clock, its prices, its quantities, its slots.

Registered in `cms.apps` under the key prefix "market" (cart and order keys look like
"market:<page id>").

The trading window (`opens_at <= now < closes_at`) is checked at every cart change, at
checkout, and when a card payment is confirmed.

One harvest, one stock: a market's quantity for a product (`MarketStock`) is the most that
market may sell of it, a ceiling, not a pool of its own. Every sale, in the catalogue or in
any market, also takes the units from the product's own stock (`Product.stock`), the
cooperative's one physical harvest, with the same conditional update the catalogue uses.
So buyers in the catalogue and in any number of markets, at the same moment, can never
together buy more than the cooperative has; what a market does not sell was never taken
from the harvest, so nothing has to be given back when it closes. A buyer is offered the
smaller of what is left in the market and what is left of the harvest (`offer_left`).

Card payments begun before the close and finished after it: the stock and the pickup
slot were reserved when the order was placed, which had to happen before `closes_at`.
The payment is then accepted if it is confirmed before `closes_at` plus the card payment
window (`MINGA_CARD_PAYMENT_MINUTES`); later, the order expires, its stock and slot go
back, and the card hold is released. See `check_payment_confirmation`.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from cooperatives.models import VerificationStatus
from market.money import format_cop
from market.units import QuantityError, check_step, format_quantity, unit_name
from orders.channels import CatalogChannel, per_row
from orders.exceptions import CartError, InsufficientStockError, ShortLine
from orders.models import ORDER_ENDED, Channel, DeliveryMethod, OrderLine


class MarketChannel(CatalogChannel):
    kind = Channel.MARKET

    def __init__(self, event):
        self.event = event
        self.key = market_key(event)
        self._offers = None
        # Read with the products (`read_products`): {product id: (offer or None, counter or None)}.
        self._known = {}
        self._slots = {}
        self._all_slots = False

    def use_slots(self, slots) -> None:
        """The market's pickup slots, as `market_slots` read them for a checkout's form: the
        order then reads none again."""
        self._slots = {slot.pk: slot for slot in slots}
        self._all_slots = True

    # --- rules -------------------------------------------------------------------------

    def check_open(self, at=None) -> None:
        at = at or timezone.now()
        event = self.event
        if at < event.opens_at:
            raise CartError(
                _("This market opens on %(when)s. Come back then!") % {"when": _when(event.opens_at)}
            )
        if at >= event.closes_at:
            raise CartError(
                _("This market closed on %(when)s. Look for the next one.") % {"when": _when(event.closes_at)}
            )

    def basket_url(self) -> str:
        """The storefront's basket, in the buyer's language."""
        from market.i18n import url_in_language

        return url_in_language(self.event.url) + "#cesta"

    def offers(self) -> dict:
        if self._offers is None:
            self._offers = {offer.product_id: offer for offer in offers_on_sale(self.event)}
        return self._offers

    def read_products(self, queryset, *, product: str = "pk") -> list:
        """Each product (or basket line) with its offer on sale in this market (price, limit
        per buyer) and the market's counter (what it may still sell), by subqueries of the
        same query; the checks that follow ask nothing more about these products."""
        from cms.models import MarketOffer, MarketStock

        ref = OuterRef(product)
        # When a product is offered twice, the last offer counts, as in `offers`.
        offer = offers_on_sale(self.event).filter(product=ref).order_by("-sort_order", "-pk")
        stock = MarketStock.objects.filter(event=self.event.pk, product=ref)
        rows = list(
            queryset.annotate(
                offer_price_cop=Subquery(offer.values("price_cop")[:1]),
                offer_max_per_buyer=Subquery(offer.values("max_per_buyer")[:1]),
                stock_planned=Subquery(stock.values("planned")[:1]),
                stock_confirmed=Subquery(stock.values("confirmed")[:1]),
                stock_sold=Subquery(stock.values("sold")[:1]),
            )
        )
        for row in rows:
            product_id = getattr(row, product)
            found = None
            if row.offer_price_cop is not None:
                found = MarketOffer(
                    page_id=self.event.pk,
                    product_id=product_id,
                    price_cop=row.offer_price_cop,
                    max_per_buyer=row.offer_max_per_buyer,
                )
            counter = None
            if row.stock_planned is not None:
                counter = MarketStock(
                    event_id=self.event.pk,
                    product_id=product_id,
                    planned=row.stock_planned,
                    confirmed=row.stock_confirmed,
                    sold=row.stock_sold,
                )
            self._known[product_id] = (found, counter)
        return rows

    def _offer_of(self, product_id: int):
        """The offer on sale of `product_id`: as `read_products` read it, else from `offers`."""
        if product_id in self._known:
            return self._known[product_id][0]
        return self.offers().get(product_id)

    def _offer(self, product: Product):
        offer = self._offer_of(product.pk)
        if offer is None or not product.cooperative.is_verified():
            raise CartError(_("%(name)s is not offered in this market.") % {"name": product.name})
        return offer

    def unit_price_cop(self, product: Product) -> int:
        return self._offer(product).price_cop

    def check_checkout_line(self, product: Product, quantity: Decimal) -> None:
        self.check_open()
        offer = self._offer(product)
        try:
            check_step(quantity, minimum=product.min_quantity, step=product.quantity_step)
        except QuantityError as error:
            raise CartError(f"{product.name}: {error.message}") from None
        if offer.max_per_buyer is not None and quantity > offer.max_per_buyer:
            raise CartError(
                _("At most %(max)s %(unit)s of %(name)s per buyer in this market.")
                % {
                    "max": format_quantity(offer.max_per_buyer),
                    "unit": unit_name(product.unit, offer.max_per_buyer),
                    "name": product.name,
                }
            )

    def check_line(self, product: Product, quantity: Decimal, *, cart) -> None:
        self.check_checkout_line(product, quantity)
        from cms.models import MarketStock

        if product.pk in self._known:
            stock = self._known[product.pk][1]
        else:
            stock = MarketStock.objects.filter(event=self.event, product=product).first()
        remaining = offer_left(stock.remaining if stock else Decimal("0"), product.stock)
        if quantity > remaining:
            raise CartError(
                _("Only %(available)s %(unit)s of %(name)s left in this market.")
                % {
                    "available": format_quantity(remaining),
                    "unit": unit_name(product.unit, remaining),
                    "name": product.name,
                }
            )

    def check_checkout(self, *, buyer, choice, subtotal_cop: int) -> None:
        self.check_open()
        if choice.delivery_method == DeliveryMethod.PICKUP and self._slot(choice.slot_id) is None:
            raise CartError(_("Choose a pickup slot."))

    def _slot(self, slot_id):
        """The market's pickup slot `slot_id` (with its place), or None; read once per
        checkout, or not at all after `use_slots`."""
        from cms.models import PickupSlot

        if not slot_id:
            return None
        if slot_id not in self._slots and not self._all_slots:
            self._slots[slot_id] = (
                PickupSlot.objects.select_related("pickup_point__municipality")
                .filter(page=self.event, pk=slot_id)
                .first()
            )
        return self._slots.get(slot_id)

    def check_payment_confirmation(self, *, order, at) -> None:
        grace = timedelta(minutes=settings.MINGA_CARD_PAYMENT_MINUTES)
        if order.placed_at >= self.event.closes_at or at >= self.event.closes_at + grace:
            raise CartError(_("The payment arrived after the market closed."))

    # --- fees ----------------------------------------------------------------------------

    def delivery_fees(self, *, delivery_method: str, subtotals: dict) -> tuple[dict[int, int], int]:
        event = self.event
        fees = {cooperative.pk: 0 for cooperative in subtotals}
        if delivery_method != DeliveryMethod.DELIVERY:
            return fees, 0
        if not event.delivery_offered:
            raise CartError(_("This market has no delivery; choose a pickup slot."))
        subtotal = sum(subtotals.values())
        if subtotal < event.delivery_min_order_cop:
            raise CartError(
                _("Delivery starts at orders of %(min)s.") % {"min": format_cop(event.delivery_min_order_cop)}
            )
        return fees, event.delivery_fee_cop

    def delivery_offered(self, *, subtotals: dict) -> bool:
        return self.event.delivery_offered

    def checkout_rules(self, *, subtotals: dict) -> list[str]:
        """The market's own rules: it delivers (or not) for every cooperative in it."""
        event = self.event
        if not event.delivery_offered:
            return [_("This market does not deliver: you pick up your order in the slot you choose.")]
        rules = [
            _("The market delivers the goods of every cooperative to %(area)s for %(fee)s.")
            % {
                "area": event.delivery_area or event.municipality.name,
                "fee": format_cop(event.delivery_fee_cop),
            }
        ]
        if event.delivery_min_order_cop:
            rule = _("Delivery starts at orders of %(min)s.") % {
                "min": format_cop(event.delivery_min_order_cop)
            }
            subtotal = sum(subtotals.values())
            if subtotal < event.delivery_min_order_cop:
                rule += " " + _("Add %(missing)s more.") % {
                    "missing": format_cop(event.delivery_min_order_cop - subtotal)
                }
            rules.append(rule)
        return rules

    def fees_after_change(self, *, delivery_method: str, subtotals: dict) -> tuple[dict[int, int], int]:
        fees = {cooperative.pk: 0 for cooperative in subtotals}
        if delivery_method != DeliveryMethod.DELIVERY or not subtotals:
            return fees, 0
        return fees, self.event.delivery_fee_cop

    # --- quantities and slots ----------------------------------------------------------------

    def reserve(self, *, wanted: dict[int, Decimal], products: dict | None = None) -> None:
        """Take the market's quantities, then the harvest's (the product's stock, shared with
        the catalogue and every market): all or nothing. Every checkout, and every return
        (`release`), locks rows in the same order: the products' in primary-key order (a
        checkout's with its basket: `products`), then the market's counters."""
        if products is None:
            locked = Product.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")
            products = {product.pk: product for product in locked}
        self._market_reserve(wanted=wanted, names={pk: product.name for pk, product in products.items()})
        super().reserve(wanted=wanted, products=products)

    def _market_reserve(self, *, wanted: dict[int, Decimal], names: dict[int, str]) -> None:
        """The market's counters: one conditional UPDATE for every line (`sold + n` within
        what is planned and confirmed, per row), which locks them, after the products'.

        Nothing is read first: every other checkout or return of these products waits on
        their rows, locked by now (see `reserve`), and the UPDATE checks each row as it is
        then. When one refuses, the order is refused and its transaction undone; what the
        market has left is read afresh after that (`InsufficientStockError.count_again`).
        """
        from cms.models import MarketStock

        amount = per_row("product_id", wanted)
        taken = (
            MarketStock.objects.filter(
                event=self.event, product_id__in=list(wanted), planned__gte=F("sold") + amount
            )
            .exclude(confirmed__lt=F("sold") + amount)
            .update(sold=F("sold") + amount)
        )
        if taken != len(wanted):
            raise InsufficientStockError(count_again=lambda: self._short_lines(wanted, names))

    def _short_lines(self, wanted: dict[int, Decimal], names: dict[int, str]) -> list[ShortLine]:
        """The lines the market has not enough left for, as its counters are now."""
        from cms.models import MarketStock

        counters = {
            stock.product_id: stock
            for stock in MarketStock.objects.filter(event=self.event, product_id__in=list(wanted))
        }
        left = {pid: counters[pid].remaining if pid in counters else Decimal("0") for pid in wanted}
        return [
            ShortLine(product_id=pid, product_name=names.get(pid, ""), requested=q, available=left[pid])
            for pid, q in sorted(wanted.items())
            if left[pid] < q
        ]

    def release(self, *, lines) -> None:
        """Give back to the harvest, then to the market, what `stock_return` claimed once:
        products before counters, as a checkout locks them (see `reserve`)."""
        from cms.models import MarketStock

        super().release(lines=lines)
        for line in sorted(lines, key=lambda item: item.product_id):
            MarketStock.objects.filter(event=self.event, product_id=line.product_id).update(
                sold=F("sold") - line.quantity
            )

    def after_place(self, *, order, choice) -> None:
        """Link the order to the market, take the pickup slot, and check per-buyer limits."""
        from cms.markets.handover import handover_from_link
        from cms.models import MarketOrder, SlotUsage

        slot = None
        if order.delivery_method == DeliveryMethod.PICKUP:
            slot = self._slot(choice.slot_id)
            if slot is None:
                raise CartError(_("Choose a pickup slot."))

            def take() -> bool:
                return bool(
                    SlotUsage.objects.filter(slot=slot, taken__lt=slot.capacity).update(taken=F("taken") + 1)
                )

            if not take():
                # Its counter is made when the market is published; one missing is made now.
                _usage, created = SlotUsage.objects.get_or_create(slot=slot)
                if not created or not take():
                    raise CartError(_("That pickup slot is full. Choose another one."))
        link = MarketOrder.objects.create(
            order=order,
            event=self.event,
            slot=slot,
            slot_label=str(slot) if slot else "",
            assisted_by=choice.assisted_by,
        )
        # Where and when, for the messages written next in this transaction (no query).
        order.handover = handover_from_link(link, order)
        self._check_per_buyer_limits(order, assisted=choice.assisted_by is not None)

    def _check_per_buyer_limits(self, order, *, assisted: bool) -> None:
        # A Market Builder's phone orders are for many people: the limit is per person, and
        # the builder is only their buyer of record. A number a buyer gives at checkout for
        # her messages changes nothing. Only this order's products can pass a limit now.
        if assisted:
            return
        ordered = {line.product_id for f in order.fulfilments.all() for line in f.lines.all()}
        offers = {pid: self._offer_of(pid) for pid in ordered}
        limits = {pid: o.max_per_buyer for pid, o in offers.items() if o and o.max_per_buyer is not None}
        if not limits:
            return
        bought = (
            OrderLine.objects.filter(
                order__buyer=order.buyer,
                order__channel_key=self.key,
                product_id__in=limits,
            )
            .exclude(order__status__in=ORDER_ENDED)
            .values("product_id", "product_name")
            .annotate(total=Sum("quantity"))
        )
        for row in bought:
            if row["total"] > limits[row["product_id"]]:
                raise CartError(
                    _("At most %(max)s of %(name)s per buyer in this market; you already ordered some.")
                    % {"max": format_quantity(limits[row["product_id"]]), "name": row["product_name"]}
                )

    def after_end(self, *, order) -> None:
        """Give the pickup slot back, once."""
        from cms.models import MarketOrder, SlotUsage

        link = MarketOrder.objects.filter(order=order).first()
        if link is None or link.slot_id is None:
            return
        if MarketOrder.objects.filter(pk=link.pk, slot_released_at__isnull=True).update(
            slot_released_at=timezone.now()
        ):
            SlotUsage.objects.filter(slot_id=link.slot_id, taken__gt=0).update(taken=F("taken") - 1)


def offer_left(market_remaining: Decimal, harvest: Decimal | None) -> Decimal:
    """What a buyer may still take of an offer: the market's remaining quantity, and no more
    than the harvest left (`Product.stock`; None for a product made to order)."""
    if harvest is None:
        return market_remaining
    return max(min(market_remaining, harvest), Decimal("0"))


def offers_on_sale(event):
    """The market's offers whose cooperative takes part in it and is verified.

    The page form checks this when a market is saved; a cooperative removed from the
    market or no longer verified afterwards must not keep selling in it (nor show).
    """
    from cms.models import MarketEventPage, MarketOffer

    participants = MarketEventPage.cooperatives.through.objects.filter(marketeventpage=event.pk)
    return MarketOffer.objects.filter(
        page=event.pk,
        product__cooperative__verification_status=VerificationStatus.VERIFIED,
        product__cooperative__in=participants.values("cooperative"),
    )


def market_key(event) -> str:
    return f"market:{event.pk}"


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


def open_baskets(keys: list[str]) -> dict[str, tuple[str, str]]:
    """{"market:<id>": (title, its storefront's basket)} of the markets among `keys` open
    now, in the visitor's language (`orders.channels.register_baskets`): the header counts
    them on every page, so the markets' clocks are kept in the page cache (`market_clocks`)."""
    from market.i18n import url_in_language

    now = timezone.now()
    clocks = market_clocks()
    found = {}
    for key in keys:
        clock = clocks.get(key)
        if clock is not None and clock["opens_at"] <= now < clock["closes_at"]:
            found[key] = (clock["title"], url_in_language(clock["url"]) + "#cesta")
    return found


def market_clocks() -> dict[str, dict]:
    """{"market:<id>": {title, url, opens_at, closes_at}} of the live markets that had not
    closed when it was read, kept until the next `pages_changed()` (a publish moves a
    clock); whether each is open is decided when it is used."""
    from cms.models import MarketEventPage
    from market import page_cache

    def read():
        events = MarketEventPage.objects.live().filter(closes_at__gt=timezone.now()).order_by("pk")
        return {
            market_key(event): {
                "title": event.title,
                "url": event.url,
                "opens_at": event.opens_at,
                "closes_at": event.closes_at,
            }
            for event in events
        }

    return page_cache.remembered("market-clocks", read)


def resolve(key: str):
    from cms.models import MarketEventPage

    _prefix, _sep, raw = key.partition(":")
    if not raw.isdigit():
        return None
    event = MarketEventPage.objects.select_related("municipality").filter(pk=int(raw)).first()
    return MarketChannel(event) if event else None
