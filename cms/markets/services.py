"""Writes on markets: stock counters, cooperatives' confirmations, closing, copying, and
the Market Builder's market-day actions (handing over, assisted orders), and the people who
asked to be told when a market opens."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.markets.channel import market_key
from cms.markets.exceptions import MarketError
from cms.models import (
    MarketClosing,
    MarketEventPage,
    MarketOffer,
    MarketOrder,
    MarketState,
    MarketStock,
    MarketWatch,
    PickupSlot,
    SlotUsage,
)
from cooperatives.models import VerificationStatus
from market import page_cache
from market.units import format_quantity
from orders import services as order_services
from orders.exceptions import CartError
from orders.models import (
    ORDER_NOT_PLACED,
    CartLine,
    DeliveryMethod,
    Order,
    OrderEvent,
    PaymentMethod,
)


def market_offers_check(*, event: MarketEventPage, offers) -> list[str]:
    """Problems with a market's offers: only products of participating, verified cooperatives."""
    participating = {
        c.pk for c in event.cooperatives.all() if c.verification_status == VerificationStatus.VERIFIED
    }
    problems = []
    for offer in offers:
        product = offer.product
        if product.cooperative_id not in participating:
            problems.append(
                _("%(product)s: %(cooperative)s is not a participating, verified cooperative of this market.")
                % {"product": product.name, "cooperative": product.cooperative.name}
            )
    return problems


def market_stock_sync(*, event: MarketEventPage) -> None:
    """Make the live counters follow the published offers and slots.

    `planned` follows the offer; `sold` and a cooperative's `confirmed` quantity are kept,
    so publishing (even an old revision) never resets what was sold.
    """
    with transaction.atomic():
        offered = {}
        for offer in MarketOffer.objects.filter(page=event):
            offered[offer.product_id] = offered.get(offer.product_id, Decimal("0")) + offer.quantity
        for product_id, quantity in offered.items():
            stock, created = MarketStock.objects.get_or_create(
                event=event, product_id=product_id, defaults={"planned": quantity}
            )
            if not created and stock.planned != quantity:
                MarketStock.objects.filter(pk=stock.pk).update(planned=quantity)
        MarketStock.objects.filter(event=event).exclude(product_id__in=offered).update(planned=F("sold"))
        for slot in PickupSlot.objects.filter(page=event):
            SlotUsage.objects.get_or_create(slot=slot)
        page_cache.pages_changed()


def market_translation_strip(*, page: MarketEventPage) -> None:
    """Drop the offers and pickup slots a translation copied from its original.

    The translation sells through the original (`MarketEventPage.trading_event`); copies
    would only mislead whoever edits it. Its latest revision is rewritten without them,
    since the editor opens that revision.
    """
    if not page.is_translation:
        return
    with transaction.atomic():
        MarketOffer.objects.filter(page=page.pk).delete()
        PickupSlot.objects.filter(page=page.pk).delete()
        fresh = MarketEventPage.objects.get(pk=page.pk)
        fresh.save_revision(user=None, clean=False, log_action=False, changed=False)


def offer_confirm(
    *, event: MarketEventPage, cooperative, product_id: int, quantity: Decimal, actor
) -> MarketStock:
    """A cooperative confirms, or lowers, what it will bring of one offer before opening.

    Raises MarketError when the market already opened, the product is not this
    cooperative's, the quantity is above the offer or below what is already sold.
    """
    if timezone.now() >= event.opens_at:
        raise MarketError(_("The market already opened: quantities can no longer change here."))
    with transaction.atomic():
        stock = (
            MarketStock.objects.select_for_update()
            .select_related("product")
            .filter(event=event, product_id=product_id, product__cooperative=cooperative)
            .first()
        )
        if stock is None:
            raise MarketError(_("This product is not one of your offers in this market."))
        if quantity < 0 or quantity > stock.planned:
            raise MarketError(_("Confirm between 0 and %(max)s.") % {"max": format_quantity(stock.planned)})
        if quantity < stock.sold:
            raise MarketError(_("%(sold)s are already sold.") % {"sold": format_quantity(stock.sold)})
        MarketStock.objects.filter(pk=stock.pk).update(
            confirmed=quantity, confirmed_at=timezone.now(), confirmed_by=actor
        )
        page_cache.pages_changed()
        stock.refresh_from_db()
    return stock


def market_close_claim(*, event: MarketEventPage, now=None) -> bool:
    """Claim the closing notifications of a closed market. True for exactly one caller.

    The unique row is the lock: a second job, on this server or another, gets an
    IntegrityError and sends nothing.
    """
    now = now or timezone.now()
    if now < event.closes_at:
        return False
    try:
        with transaction.atomic():
            MarketClosing.objects.create(event=event, notified_at=now)
    except IntegrityError:
        return False
    return True


def market_copy(*, event: MarketEventPage, opens_at, closes_at, market_day, user) -> MarketEventPage:
    """A new draft market with the same cooperatives, offers and pickup slots, new dates.

    Slot times move by as many days as the market day moved.
    """
    if closes_at <= opens_at:
        raise MarketError(_("The market must close after it opens."))
    shift = timedelta(days=(market_day - event.market_day).days)
    parent = event.get_parent()
    base_slug = f"{event.slug}-{market_day:%Y%m%d}"[:240]
    taken = set(parent.get_children().filter(slug__startswith=base_slug).values_list("slug", flat=True))
    slug, number = base_slug, 1
    while slug in taken:
        number += 1
        slug = f"{base_slug}-{number}"
    copy = MarketEventPage(
        title=event.title,
        slug=slug,
        intro=event.intro.raw_data,
        hero_image=event.hero_image,
        organisers=event.organisers,
        municipality=event.municipality,
        opens_at=opens_at,
        closes_at=closes_at,
        market_day=market_day,
        market_day_end=event.market_day_end + shift if event.market_day_end else None,
        delivery_offered=event.delivery_offered,
        delivery_area=event.delivery_area,
        delivery_fee_cop=event.delivery_fee_cop,
        delivery_min_order_cop=event.delivery_min_order_cop,
        live=False,
        owner=user,
    )
    copy.offers = [
        MarketOffer(
            product=o.product,
            price_cop=o.price_cop,
            quantity=o.quantity,
            max_per_buyer=o.max_per_buyer,
            sort_order=o.sort_order,
        )
        for o in event.offers.all()
    ]
    copy.slots = [
        PickupSlot(
            pickup_point=s.pickup_point,
            starts_at=s.starts_at + shift,
            ends_at=s.ends_at + shift,
            capacity=s.capacity,
            sort_order=s.sort_order,
        )
        for s in event.slots.all()
    ]
    copy.cooperatives = list(event.cooperatives.all())
    with transaction.atomic():
        parent.add_child(instance=copy)
        copy.save_revision(user=user)
    return copy


# --- Market day and assisted orders (the Market Builder's admin views) --------------------

HANDED_OVER_REASON = "handed over at the market"


def market_order_hand_over(*, event: MarketEventPage, order_number: str, actor) -> MarketOrder:
    """Record that the buyer collected (or received) her order at the market: once.

    Only `handed_over_at` and a log row change: the cooperatives' fulfilments keep their
    own statuses, which only the cooperatives move. The conditional UPDATE is the guard,
    so a double click or two builders at once record it once. Raises MarketError.
    """
    now = timezone.now()
    with transaction.atomic():
        link = (
            MarketOrder.objects.select_related("order")
            .filter(event=event, order__number=order_number)
            .exclude(order__status__in=ORDER_NOT_PLACED)
            .first()
        )
        if link is None:
            raise MarketError(_("This order is not one of this market's orders."))
        if not MarketOrder.objects.filter(pk=link.pk, handed_over_at__isnull=True).update(handed_over_at=now):
            raise MarketError(_("Order %(number)s was already handed over.") % {"number": order_number})
        OrderEvent.objects.record(
            order_id=link.order_id,
            actor=actor,
            at=now,
            from_status=link.order.status,
            to_status=link.order.status,
            reason=HANDED_OVER_REASON,
        )
        link.handed_over_at = now
    return link


def market_order_assist(
    *,
    event: MarketEventPage,
    actor,
    contact_name: str,
    contact_phone: str,
    quantities: dict[int, Decimal],
    delivery_method: str,
    payment_method: str,
    slot_id: int | None = None,
    delivery_address: str = "",
    notes: str = "",
    checkout_key: str = "",
) -> Order:
    """An order a Market Builder takes by phone or WhatsApp for someone without an account.

    It takes the buyer's own path, the builder's cart for this market then `order_place`,
    so the market's clock, quantities, per-buyer maximum and slot capacity are checked the
    same way. The builder is the buyer of record; the person who collects is the contact
    (name, E.164 phone). Whatever the builder had in her own basket for this market is put
    back. All or nothing: raises MarketError, CheckoutError or InsufficientStockError, and
    then nothing was written.
    """
    if payment_method not in (PaymentMethod.CASH, PaymentMethod.TRANSFER):
        raise MarketError(_("Assisted orders are paid in cash or by transfer."))
    if not contact_name.strip() or not contact_phone.strip():
        raise MarketError(_("Enter the buyer's name and phone."))
    if not quantities:
        raise MarketError(_("Enter a quantity for at least one product."))
    with transaction.atomic():
        cart = order_services.cart_get(user=actor, create=True, channel_key=market_key(event))
        kept = list(cart.lines.values_list("product_id", "quantity"))
        cart.lines.all().delete()
        problems = []
        for product_id in sorted(quantities):
            try:
                order_services.cart_set_quantity(
                    cart=cart, product_id=product_id, raw_quantity=quantities[product_id]
                )
            except CartError as error:
                if error.message not in problems:
                    problems.append(error.message)
        if problems:
            raise MarketError(" ".join(problems))
        order = order_services.order_place(
            buyer=actor,
            cart=cart,
            choice=order_services.CheckoutChoice(
                delivery_method=delivery_method,
                payment_method=payment_method,
                delivery_address=delivery_address if delivery_method == DeliveryMethod.DELIVERY else "",
                notes=notes,
                slot_id=slot_id if delivery_method == DeliveryMethod.PICKUP else None,
                contact_name=contact_name,
                contact_phone=contact_phone,
                assisted_by=actor,
                checkout_key=checkout_key,
            ),
        )
        CartLine.objects.bulk_create(
            [CartLine(cart=cart, product_id=product_id, quantity=quantity) for product_id, quantity in kept]
        )
    return order


def market_watch_add(
    *, event: MarketEventPage, user=None, phone: str = "", whatsapp: bool = False, language: str = ""
) -> tuple[MarketWatch, bool]:
    """Someone asks to be told when `event` opens: (her watch, whether it is new).

    The same person, or the same number, twice is one watch (the unique constraints), even
    from two requests at once; ticking WhatsApp the second time adds it.
    """
    if event.state_at(timezone.now()) != MarketState.UPCOMING:
        raise MarketError(_("This market is no longer waiting to open."))
    lookup = {"user": user} if user is not None else {"phone": phone}
    if user is None and not phone:
        raise MarketError(_("Write your mobile number."))
    try:
        with transaction.atomic():
            watch, created = MarketWatch.objects.get_or_create(
                event=event,
                **lookup,
                defaults={"whatsapp": whatsapp, "language": language or settings.LANGUAGE_CODE},
            )
    except IntegrityError:  # the same number or person at the same moment
        watch, created = MarketWatch.objects.get(event=event, **lookup), False
    if not created and whatsapp and not watch.whatsapp:
        MarketWatch.objects.filter(pk=watch.pk).update(whatsapp=True)
        watch.whatsapp = True
    return watch, created
