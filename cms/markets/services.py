"""Writes on markets: stock counters, cooperatives' confirmations, closing, creating and
copying (with every product as an offer and generated pickup slots, `cms.markets.building`),
submitting for approval, the Market Builder's market-day actions (handing over, assisted
orders), and the people who asked to be told when a market opens."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cms.markets import building
from cms.markets.channel import market_key
from cms.markets.exceptions import MarketError
from cms.models import (
    MarketClosing,
    MarketEventPage,
    MarketIndexPage,
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
    REASON_HANDED_OVER_AT_MARKET,
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
    so publishing (even an old revision) never resets what was sold. The same few queries
    for 10 offers or 1,000: counters are read at once, the missing ones created together
    and only the changed ones updated (an offer's row is not locked when nothing changed
    for it, so a publish during the market does not hold up checkouts of other offers).
    """
    with transaction.atomic():
        offered = {}
        rows = MarketOffer.objects.filter(page=event).values_list("product_id", "quantity")
        for product_id, quantity in rows:
            offered[product_id] = offered.get(product_id, Decimal("0")) + quantity
        current = {
            product_id: (pk, planned)
            for pk, product_id, planned in MarketStock.objects.filter(event=event).values_list(
                "pk", "product_id", "planned"
            )
        }
        # A counter created meanwhile by a publish at the same moment is left to that one
        # (ignore_conflicts); it wrote the same offers' quantities.
        MarketStock.objects.bulk_create(
            [
                MarketStock(event=event, product_id=product_id, planned=quantity)
                for product_id, quantity in offered.items()
                if product_id not in current
            ],
            ignore_conflicts=True,
        )
        changed = [
            MarketStock(pk=current[product_id][0], planned=quantity)
            for product_id, quantity in offered.items()
            if product_id in current and current[product_id][1] != quantity
        ]
        MarketStock.objects.bulk_update(changed, ["planned"], batch_size=500)
        MarketStock.objects.filter(event=event).exclude(product_id__in=offered).update(planned=F("sold"))
        SlotUsage.objects.bulk_create(
            [
                SlotUsage(slot_id=slot_id)
                for slot_id in PickupSlot.objects.filter(page=event, usage__isnull=True).values_list(
                    "pk", flat=True
                )
            ],
            ignore_conflicts=True,
        )
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
        page_cache.stock_changed()
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


def _free_slug(parent, base_slug: str) -> str:
    """`base_slug`, or `base_slug-2`, `-3`… whichever no sibling under `parent` uses."""
    base_slug = base_slug[:240] or "mercado"
    taken = set(parent.get_children().filter(slug__startswith=base_slug).values_list("slug", flat=True))
    slug, number = base_slug, 1
    while slug in taken:
        number += 1
        slug = f"{base_slug}-{number}"
    return slug


def market_submit(*, page: MarketEventPage, user) -> bool:
    """Send the page's latest revision to the moderation workflow (staff approve, which
    publishes it), as the editor's "Enviar a…" button does. False when no workflow applies
    or it is already waiting for approval."""
    workflow = page.get_workflow()
    if workflow is None or page.workflow_in_progress:
        return False
    workflow.start(page, user)
    return True


def market_index_for_new_markets() -> MarketIndexPage | None:
    """The market index in the default language: where new markets are made."""
    from cms.models.pages import default_language

    return MarketIndexPage.objects.filter(locale__language_code=default_language()).first()


def market_create(
    *,
    user,
    title: str,
    municipality,
    opens_at,
    closes_at,
    market_day,
    cooperatives,
    discount=None,
    pickup_point=None,
    slot_plan: building.SlotPlan | None = None,
    submit: bool = False,
) -> MarketEventPage:
    """A new market owned by `user`, a draft: the participating cooperatives (verified ones
    only), with `discount` not None every available product of theirs as an offer
    (`building.offers_for_cooperatives`), and with a `slot_plan` its pickup slots at
    `pickup_point`. With `submit` it goes to the moderation workflow at once.

    Raises MarketError (nothing written) on a bad clock, discount or slot plan, an
    unverified cooperative, or when she may not add markets.
    """
    if closes_at <= opens_at:
        raise MarketError(_("The market must close after it opens."))
    if market_day < timezone.localdate(closes_at):
        raise MarketError(_("The market day cannot be before the market closes."))
    cooperatives = list(cooperatives)
    pending = [c.name for c in cooperatives if c.verification_status != VerificationStatus.VERIFIED]
    if pending:
        raise MarketError(
            _("Only verified cooperatives can take part: %(names)s.") % {"names": ", ".join(pending)}
        )
    parent = market_index_for_new_markets()
    if parent is None or not parent.permissions_for_user(user).can_add_subpage():
        raise MarketError(_("You cannot create markets."))
    page = MarketEventPage(
        title=title,
        slug=_free_slug(parent, slugify(f"{title} {market_day:%Y-%m-%d}")),
        municipality=municipality,
        opens_at=opens_at,
        closes_at=closes_at,
        market_day=market_day,
        live=False,
        owner=user,
    )
    page.cooperatives = cooperatives
    if discount is not None:
        page.offers = _numbered(building.offers_for_cooperatives(cooperatives, discount=discount))
    if slot_plan is not None:
        times = building.slot_times(slot_plan, first_day=market_day, last_day=market_day)
        slots, _skipped = building.without_overlaps(pickup_point, times, [], capacity=slot_plan.capacity)
        page.slots = _numbered(slots)
    with transaction.atomic():
        parent.add_child(instance=page)
        page.save_revision(user=user, log_action=True)
        if submit:
            market_submit(page=page, user=user)
    return page


def _numbered(children, start: int = 0) -> list:
    for number, child in enumerate(children, start=start):
        child.sort_order = number
    return children


def _draft_to_change(*, event: MarketEventPage, user) -> MarketEventPage:
    """The market as its latest revision, to change and save as a new revision; MarketError
    while the page is locked for her (waiting for approval, or locked by someone)."""
    lock = event.get_lock()
    if lock is not None and lock.for_user(user):
        raise MarketError(_("This market is waiting for approval or locked: it cannot change now."))
    if event.is_translation:
        raise MarketError(_("Offers and pickup slots are managed on the original market page."))
    return event.get_latest_revision_as_object()


def market_offers_add_all(*, event: MarketEventPage, user, discount) -> int:
    """Add every available product of the market's participating, verified cooperatives not
    offered yet, at the catalogue price less `discount` per cent, as a new draft revision:
    how many were added. Raises MarketError (a bad discount, a locked page)."""
    building.discount_check(discount)
    page = _draft_to_change(event=event, user=user)
    existing = list(page.offers.all())
    new = building.offers_for_cooperatives(
        list(page.cooperatives.all()), discount=discount, offered_product_ids={o.product_id for o in existing}
    )
    if new:
        page.offers = existing + _numbered(new, start=len(existing))
        page.save_revision(user=user, log_action=True)
    return len(new)


def market_slots_add(
    *, event: MarketEventPage, user, pickup_point, plan: building.SlotPlan
) -> tuple[int, int]:
    """Generate pickup slots at `pickup_point` from `plan` into a new draft revision, leaving
    out any that would overlap a slot already there: (added, left out). Raises MarketError."""
    page = _draft_to_change(event=event, user=user)
    times = building.slot_times(
        plan, first_day=page.market_day, last_day=page.market_day_end or page.market_day
    )
    existing = list(page.slots.all())
    new, skipped = building.without_overlaps(pickup_point, times, existing, capacity=plan.capacity)
    if new:
        page.slots = existing + _numbered(new, start=len(existing))
        page.save_revision(user=user, log_action=True)
    return len(new), skipped


def market_copy(
    *, event: MarketEventPage, opens_at, closes_at, market_day, user, submit: bool = False
) -> MarketEventPage:
    """A new draft market with the same cooperatives, offers and pickup slots, new dates.

    Slot times move by as many days as the market day moved. A cooperative no longer
    verified is left out with its offers, and so are products no longer available, so the
    copy can be submitted as it is; with `submit` it goes to the moderation workflow.
    """
    if closes_at <= opens_at:
        raise MarketError(_("The market must close after it opens."))
    shift = timedelta(days=(market_day - event.market_day).days)
    parent = event.get_parent()
    slug = _free_slug(parent, f"{event.slug}-{market_day:%Y%m%d}")
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
    cooperatives = [
        c for c in event.cooperatives.all() if c.verification_status == VerificationStatus.VERIFIED
    ]
    available = set(
        building.offerable_products(cooperatives)
        .filter(pk__in=[o.product_id for o in event.offers.all()])
        .values_list("pk", flat=True)
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
        if o.product_id in available
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
    copy.cooperatives = cooperatives
    with transaction.atomic():
        parent.add_child(instance=copy)
        copy.save_revision(user=user, log_action=True)
        if submit:
            market_submit(page=copy, user=user)
    return copy


# --- Market day and assisted orders (the Market Builder's admin views) --------------------

HANDED_OVER_REASON = REASON_HANDED_OVER_AT_MARKET


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
