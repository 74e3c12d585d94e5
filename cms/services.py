"""Writes on markets: stock counters, cooperatives' confirmations, closing, copying."""

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.exceptions import MarketError
from cms.models import MarketClosing, MarketEventPage, MarketOffer, MarketStock, PickupSlot, SlotUsage
from cooperatives.models import VerificationStatus


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
            raise MarketError(_("Confirm between 0 and %(max)s.") % {"max": stock.planned.normalize()})
        if quantity < stock.sold:
            raise MarketError(_("%(sold)s are already sold.") % {"sold": stock.sold.normalize()})
        MarketStock.objects.filter(pk=stock.pk).update(
            confirmed=quantity, confirmed_at=timezone.now(), confirmed_by=actor
        )
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
    copy = MarketEventPage(
        title=event.title,
        slug=f"{event.slug}-{market_day:%Y%m%d}",
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
        event.get_parent().add_child(instance=copy)
        copy.save_revision(user=user)
    return copy
