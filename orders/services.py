"""Writes on carts and orders: the cart, placing an order, and the cooperative's changes
to its lines. Status moves are `orders.transitions`; stock is `orders.stock`.
"""

import secrets
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, F, Subquery, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import Product
from cooperatives.models import Cooperative
from market.models import BuyerOrganization, User
from market.money import format_cop, line_total_cop
from market.units import QuantityError, format_quantity, parse_quantity, unit_name
from orders import channels, notifications
from orders.exceptions import (
    AlreadyPlacedError,
    CartError,
    CheckoutError,
    InsufficientStockError,
    TransitionError,
)
from orders.models import (
    ORDER_ENDED,
    REASON_CANCELLED_BY_BUYER,
    Cart,
    CartLine,
    DeliveryMethod,
    Fulfilment,
    FulfilmentStatus,
    LineStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    event_reason,
    new_order_number,
)
from orders.stock import stock_return
from orders.totals import order_recompute_totals
from orders.transitions import (
    LINE_REJECTABLE,
    fulfilment_transition,
    order_check_open_to_cooperatives,
    order_transition,
)

# --- Cart --------------------------------------------------------------------------------

CART_SESSION_KEY = "minga_cart"


def cart_get(*, user=None, session=None, create: bool = False, channel_key: str = "") -> Cart | None:
    """The user's cart for a channel (the catalogue, or one market), or for an anonymous
    visitor the cart whose token her session holds.

    The token lives in the session's data, not in its key, so it survives the key change
    at sign-in and the cart can follow her (see `cart_merge_on_login`).
    """
    if user is not None and user.is_authenticated:
        cart = Cart.objects.filter(user=user, channel_key=channel_key).first()
        if cart is None and create:
            cart, _created = Cart.objects.get_or_create(user=user, channel_key=channel_key)
        return cart
    if session is None:
        return None
    session_field = f"{CART_SESSION_KEY}:{channel_key}"
    token = session.get(session_field)
    cart = Cart.objects.filter(user__isnull=True, session_key=token).first() if token else None
    if cart is None and create:
        cart = Cart.objects.create(session_key=secrets.token_urlsafe(24), channel_key=channel_key)
        session[session_field] = cart.session_key
    return cart


def cart_set_quantity(
    *, cart: Cart, product_id: int, raw_quantity, add: bool = False, channel=None
) -> CartLine | None:
    """Set (or with `add`, increase) a line's quantity; validated by the cart's channel
    (availability, minimum, step, stock, a market's clock and limits). `channel`: the
    cart's channel when the caller has it already (else it is found from the cart's key).

    Raises CartError with a message for the buyer; the cart is unchanged then.
    """
    channel = _channel_of(cart, channel)
    pk = _posted_pk(product_id)
    found = channel.read_products(Product.objects.select_related("cooperative").filter(pk=pk)) if pk else []
    product = found[0] if found else None
    if product is None:
        raise CartError(_("This product does not exist or is no longer offered."))
    try:
        quantity = parse_quantity(raw_quantity)
    except QuantityError as error:
        raise CartError(error.message) from None
    with transaction.atomic():
        line = CartLine.objects.filter(cart=cart, product=product).first()
        if add and line is not None:
            quantity = line.quantity + quantity
        channel.check_line(product, quantity, cart=cart)
        if line is None:
            line = CartLine.objects.create(cart=cart, product=product, quantity=quantity)
        else:
            line.quantity, line.product = quantity, product  # the caller names it: read above
            line.save(update_fields=["quantity"])
        Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now())
    return line


def _channel_of(cart: Cart | None, channel=None):
    """The channel of `cart`: `channel` when given (it must be the cart's), else found from
    the cart's key (a market's costs a query)."""
    if channel is None:
        return channels.channel_for(cart.channel_key)
    if cart is not None and channel.key != cart.channel_key:
        raise ValueError(f"the channel {channel.key!r} is not the cart's ({cart.channel_key!r})")
    return channel


def cart_remove(*, cart: Cart, product_id: int) -> None:
    pk = _posted_pk(product_id)
    if pk:
        CartLine.objects.filter(cart=cart, product_id=pk).delete()


def _posted_pk(value) -> int | None:
    """A primary key from a POST, or None: ASCII digits that fit a 64-bit integer only
    (`str.isdigit` also takes "²", which `int()` refuses, and a huge number overflows SQLite)."""
    text = str(value).strip()
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def cart_merge_on_login(*, session, user) -> None:
    """Move anonymous carts' lines into the user's carts when she signs in."""
    for session_field in [k for k in list(session.keys()) if k.startswith(CART_SESSION_KEY)]:
        token = session.pop(session_field, None)
        with transaction.atomic():
            anonymous = Cart.objects.filter(user__isnull=True, session_key=token).first() if token else None
            if anonymous is None:
                continue
            cart, _created = Cart.objects.get_or_create(user=user, channel_key=anonymous.channel_key)
            for line in anonymous.lines.all():
                existing = CartLine.objects.filter(cart=cart, product_id=line.product_id).first()
                if existing is None:
                    CartLine.objects.create(cart=cart, product_id=line.product_id, quantity=line.quantity)
                else:
                    existing.quantity = max(existing.quantity, line.quantity)
                    existing.save(update_fields=["quantity"])
            anonymous.delete()


def cart_refill_from_order(*, cart: Cart, order: Order) -> list[str]:
    """ "Order again": put a past order's products back in the cart. Returns problems."""
    problems = []
    for line in order.lines.all():
        try:
            cart_set_quantity(cart=cart, product_id=line.product_id, raw_quantity=line.quantity)
        except CartError as error:
            problems.append(error.message)
    return problems


# --- Checkout ----------------------------------------------------------------------------


@dataclass
class CheckoutChoice:
    delivery_method: str
    payment_method: str
    organization: BuyerOrganization | None = None
    delivery_address: str = ""
    purchase_order_number: str = ""
    notes: str = ""
    # A market's pickup slot (read by the market channel), and who collects an order
    # taken by phone on someone's behalf, and the Market Builder who took it.
    slot_id: int | None = None
    contact_name: str = ""
    contact_phone: str = ""
    assisted_by: User | None = None
    # The checkout form's one-time key: posted twice, it finds the first order.
    checkout_key: str = ""


# A basket posted again this soon after it became an order lands on that order.
REPEAT_SUBMIT_WINDOW = timedelta(hours=1)


def _active_language() -> str:
    """The site language the buyer is reading (Spanish when none is active)."""
    try:
        return translation.get_supported_language_variant(
            translation.get_language() or settings.LANGUAGE_CODE
        )
    except LookupError:
        return settings.LANGUAGE_CODE


def card_payments_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def organization_credit_used(organization: BuyerOrganization) -> int:
    """Pesos still owed on invoices not cancelled: what counts against the credit limit.

    Each cooperative records the payment of its own part, so an invoice partly paid
    counts only for what is still unpaid (`total_cop - paid_cop`, never below zero).
    """
    total = (
        Order.objects.filter(
            organization=organization,
            payment_method=PaymentMethod.INVOICE,
            payment_status=PaymentStatus.UNPAID,
        )
        .exclude(status__in=ORDER_ENDED)
        .aggregate(
            total=Sum(Greatest(F("total_cop") - F("paid_cop"), Value(0), output_field=BigIntegerField()))
        )["total"]
    )
    return total or 0


def _check_payment_method(choice: CheckoutChoice, total_cop: int) -> None:
    method = choice.payment_method
    if method == PaymentMethod.INVOICE:
        # The organisation's row is the lock that serialises its checkouts: the credit
        # used is read, and the order it admits is written, before the next one reads it.
        org = choice.organization and BuyerOrganization.objects.select_for_update().get(
            pk=choice.organization.pk
        )
        if org is None or not org.has_credit():
            raise CheckoutError(_("Invoice on credit is only for approved organisations with credit terms."))
        used = organization_credit_used(org)
        if used + total_cop > org.credit_limit_cop:
            raise CheckoutError(
                _(
                    "This order would pass %(name)s's credit limit of %(limit)s "
                    "(%(used)s already on credit). Pay by transfer or ask us to raise the limit."
                )
                % {
                    "name": org.legal_name,
                    "limit": format_cop(org.credit_limit_cop),
                    "used": format_cop(used),
                }
            )
    elif method == PaymentMethod.CARD:
        if not card_payments_enabled():
            raise CheckoutError(_("Card payments are not available."))
        if total_cop > settings.MINGA_CARD_MAX_COP:
            raise CheckoutError(
                _("Card payments are limited to %(max)s per order. Pay by transfer or cash.")
                % {"max": format_cop(settings.MINGA_CARD_MAX_COP)}
            )
        if total_cop < settings.MINGA_CARD_MIN_COP:
            raise CheckoutError(
                _("Card payments start at %(min)s.") % {"min": format_cop(settings.MINGA_CARD_MIN_COP)}
            )
    elif method not in PaymentMethod.values:
        raise CheckoutError(_("Choose a payment method."))


def order_place(*, buyer, cart: Cart | None = None, choice: CheckoutChoice, channel=None) -> Order:
    """Create the order, one fulfilment per cooperative, and reserve stock: all or nothing.

    The basket is `cart`, or with `cart=None` the buyer's basket of `channel`, then read
    only in the order's transaction. Prices, availability and stock are read from the
    database (through the cart's channel: `channel` when the caller has it, else found
    from the cart's key) here, never from a form. Raises CheckoutError or InsufficientStockError;
    then nothing was written. The choice is checked first; the other steps run in this
    order, in one transaction.

    One basket, at most one order, however often and on however many servers it is
    posted: the cart's row is locked first (with its lines) and emptied in the same
    transaction, and remembers the order it became; the form's one-time key
    (`choice.checkout_key`) is unique among orders. A repeat raises AlreadyPlacedError
    naming the first order, and nothing else is reserved. Locks are always taken in this
    order, so that checkouts never deadlock: the cart with its lines and their products,
    in product (primary-key) order, in one statement; the buyer organisation (credit); a
    market's counters; the pickup slot. Giving stock back (`orders.stock.stock_return`)
    takes the products before a market's counters too.
    """
    _checkout_check(buyer=buyer, choice=choice)
    try:
        return _order_place(buyer=buyer, cart=cart, choice=choice, channel=channel)
    except InsufficientStockError as error:
        if error.count_again is not None:  # the units taken before are back: count what is left
            error.short_lines, error.count_again = error.count_again(), None
        raise
    except IntegrityError:
        # Two posts of one form at once: the second waited on the key's unique index.
        earlier = _order_with_key(buyer=buyer, key=choice.checkout_key)
        if earlier is not None:
            raise AlreadyPlacedError(earlier) from None
        if choice.checkout_key and Order.objects.filter(checkout_key=choice.checkout_key).exists():
            # Another person's key (copied or forged): refuse, naming nothing of her order.
            raise CheckoutError(_("This page is out of date. Reload it and confirm again.")) from None
        raise


def _order_with_key(*, buyer, key: str) -> Order | None:
    if not key:
        return None
    return Order.objects.filter(checkout_key=key, buyer=buyer).first()


def _cart_claim(*, buyer, cart: Cart | None, choice: CheckoutChoice, channel) -> tuple[Cart, list[CartLine]]:
    """Lock the basket for this checkout and read it; refuse a basket or form already ordered.

    Returns the locked cart and its lines with their products and cooperatives, in product
    order, read once for the rest of the checkout. One statement locks and reads them: the
    lines, the cart's row and the products' rows (whose stock the order takes, see
    `CatalogChannel.reserve`), row by row in product order, as every checkout does; with
    what the channel sells them by (`channel.read_products`: a market's offers) and, with
    a one-time key, the order that key already placed.

    A second post of the same basket waits on those locks until the first commits, and
    then finds no line (the first emptied the cart); an empty basket is then locked on its
    own, and the order it became within the repeat window is named.

    `cart=None`: the buyer's basket of `channel` (she has one per channel).
    """
    key = choice.checkout_key
    basket = {"cart": cart} if cart is not None else {"cart__user": buyer, "cart__channel_key": channel.key}
    lines = (
        CartLine.objects.filter(**basket)
        .select_related("cart", "product__cooperative__municipality")
        .select_for_update(of=("self", "cart", "product"))
        .order_by("product_id")
    )
    if key:
        placed = Order.objects.filter(checkout_key=key, buyer=buyer).values("pk")[:1]
        lines = lines.annotate(placed_with_key=Subquery(placed))
    lines = channel.read_products(lines, product="product_id")
    if lines:
        if key and lines[0].placed_with_key is not None:
            raise AlreadyPlacedError(Order.objects.get(pk=lines[0].placed_with_key))
        return lines[0].cart, lines
    carts = Cart.objects.select_for_update()
    locked = (
        carts.get(pk=cart.pk)
        if cart is not None
        else carts.filter(user=buyer, channel_key=channel.key).first()
    )
    earlier = _order_with_key(buyer=buyer, key=key)
    if earlier is None and locked is not None:
        earlier = cart_recent_order(cart=locked, buyer=buyer)
    if earlier is not None:
        raise AlreadyPlacedError(earlier)
    return locked, lines


def cart_recent_order(*, cart: Cart, buyer) -> Order | None:
    """The buyer's order this basket became within the repeat-submit window, if any."""
    if not cart.placed_order_id:
        return None
    return Order.objects.filter(
        pk=cart.placed_order_id, buyer=buyer, placed_at__gte=timezone.now() - REPEAT_SUBMIT_WINDOW
    ).first()


def _cart_consume(*, cart: Cart, order: Order) -> None:
    """The basket became `order`: empty it, in the transaction that placed it."""
    cart.lines.all().delete()
    Cart.objects.filter(pk=cart.pk).update(placed_order=order, updated_at=order.placed_at)


def _order_place(*, buyer, cart: Cart | None, choice: CheckoutChoice, channel=None) -> Order:
    with _as_checkout_error():
        channel = _channel_of(cart, channel)
    with transaction.atomic():
        cart, lines = _cart_claim(buyer=buyer, cart=cart, choice=choice, channel=channel)
        priced = _lines_priced(channel=channel, lines=lines)
        _fees(channel=channel, priced=priced, buyer=buyer, choice=choice)
        _check_payment_method(choice, priced.total_cop)
        _stock_reserve(channel=channel, priced=priced)
        order = _order_create(buyer=buyer, choice=choice, channel=channel, priced=priced)
        _fulfilments_create(order=order, priced=priced)
        OrderEvent.objects.record(order_id=order.pk, actor=buyer, at=order.placed_at, to_status=order.status)
        with _as_checkout_error():
            channel.after_place(order=order, choice=choice)
        _cart_consume(cart=cart, order=order)
        if choice.payment_method != PaymentMethod.CARD:
            notifications.order_placed(order, just_placed=True)
    return order


@contextmanager
def _as_checkout_error():
    """A channel's refusal (CartError) at checkout is the buyer's CheckoutError."""
    try:
        yield
    except CartError as error:
        raise CheckoutError(error.message) from None


@dataclass
class _Priced:
    """The cart's lines as the channel prices them now, grouped by cooperative."""

    lines: list[CartLine]
    prices: dict[int, int]
    by_cooperative: dict[Cooperative, list[CartLine]]
    subtotals: dict[Cooperative, int]
    fees: dict[int, int] = field(default_factory=dict)
    order_fee: int = 0

    @property
    def subtotal_cop(self) -> int:
        return sum(self.subtotals.values())

    @property
    def fee_cop(self) -> int:
        return sum(self.fees.values()) + self.order_fee

    @property
    def total_cop(self) -> int:
        return self.subtotal_cop + self.fee_cop


def _checkout_check(*, buyer, choice: CheckoutChoice) -> None:
    """What the buyer chose, before anything is read or locked."""
    if (
        choice.organization is not None
        and not BuyerOrganization.objects.for_user(buyer).filter(pk=choice.organization.pk).exists()
    ):
        raise CheckoutError(_("You cannot order for this organisation."))
    if choice.delivery_method not in DeliveryMethod.values:
        raise CheckoutError(_("Choose pickup or delivery."))
    if choice.delivery_method == DeliveryMethod.DELIVERY and not choice.delivery_address.strip():
        raise CheckoutError(_("Enter the delivery address."))


def _lines_priced(*, channel, lines: list[CartLine]) -> _Priced:
    """Every line checked and priced by the channel, in product (primary-key) order."""
    if not lines:
        raise CheckoutError(_("Your cart is empty."))
    prices = {}
    by_cooperative = defaultdict(list)
    for line in lines:
        with _as_checkout_error():
            channel.check_checkout_line(line.product, line.quantity)
            prices[line.product_id] = channel.unit_price_cop(line.product)
        by_cooperative[line.product.cooperative].append(line)
    subtotals = {
        cooperative: sum(line_total_cop(prices[cl.product_id], cl.quantity) for cl in coop_lines)
        for cooperative, coop_lines in by_cooperative.items()
    }
    return _Priced(lines=lines, prices=prices, by_cooperative=by_cooperative, subtotals=subtotals)


def _fees(*, channel, priced: _Priced, buyer, choice: CheckoutChoice) -> None:
    """The delivery fees of each cooperative and of the order, then the channel's own
    checks on the whole order (a market's minimum, its pickup slot)."""
    with _as_checkout_error():
        priced.fees, priced.order_fee = channel.delivery_fees(
            delivery_method=choice.delivery_method, subtotals=priced.subtotals
        )
        channel.check_checkout(buyer=buyer, choice=choice, subtotal_cop=priced.subtotal_cop)


def _stock_reserve(*, channel, priced: _Priced) -> None:
    """All lines or none, from the products' rows `_cart_claim` locked (see `CatalogChannel.reserve`)."""
    channel.reserve(
        wanted={line.product_id: line.quantity for line in priced.lines},
        products={line.product_id: line.product for line in priced.lines},
    )


def _order_create(*, buyer, choice: CheckoutChoice, channel, priced: _Priced) -> Order:
    now = timezone.now()
    is_card = choice.payment_method == PaymentMethod.CARD
    number = new_order_number()
    order = Order.objects.create(
        number=number,
        # What she writes on her transfer: the number without its dash.
        transfer_reference=number.replace("-", "") if choice.payment_method == PaymentMethod.TRANSFER else "",
        buyer=buyer,
        organization=choice.organization,
        channel=channel.kind,
        channel_key=channel.key,
        status=OrderStatus.AWAITING_PAYMENT if is_card else OrderStatus.PLACED,
        delivery_method=choice.delivery_method,
        delivery_address=choice.delivery_address.strip(),
        purchase_order_number=choice.purchase_order_number.strip(),
        notes=choice.notes.strip(),
        contact_name=choice.contact_name.strip(),
        contact_phone=choice.contact_phone.strip(),
        language=_active_language(),
        payment_method=choice.payment_method,
        checkout_key=choice.checkout_key[:64],
        subtotal_cop=priced.subtotal_cop,
        delivery_fee_cop=priced.fee_cop,
        total_cop=priced.total_cop,
        placed_at=now,
        payment_expires_at=now + timedelta(minutes=settings.MINGA_CARD_PAYMENT_MINUTES) if is_card else None,
        due_on=(
            timezone.localdate(now) + timedelta(days=choice.organization.credit_days)
            if choice.payment_method == PaymentMethod.INVOICE
            else None
        ),
    )
    return order


def _fulfilments_create(*, order: Order, priced: _Priced) -> None:
    """One fulfilment per cooperative, with its own lines at the prices read above.

    Two inserts whatever the number of cooperatives and lines; the order keeps what was
    written (its fulfilments, their cooperatives and lines), so that its messages, written
    next in the same transaction, read them without asking the database again.
    """
    prices = priced.prices
    fulfilments = Fulfilment.objects.bulk_create(
        [
            Fulfilment(
                order=order,
                cooperative=cooperative,
                subtotal_cop=priced.subtotals[cooperative],
                delivery_fee_cop=priced.fees[cooperative.pk],
                total_cop=priced.subtotals[cooperative] + priced.fees[cooperative.pk],
            )
            for cooperative in priced.by_cooperative
        ]
    )
    lines_of = {
        fulfilment.pk: [
            OrderLine(
                order=order,
                fulfilment=fulfilment,
                product=cl.product,
                product_name=cl.product.name,
                unit=cl.product.unit,
                unit_price_cop=prices[cl.product_id],
                quantity=cl.quantity,
                total_cop=line_total_cop(prices[cl.product_id], cl.quantity),
            )
            for cl in priced.by_cooperative[fulfilment.cooperative]
        ]
        for fulfilment in fulfilments
    }
    OrderLine.objects.bulk_create([line for lines in lines_of.values() for line in lines])
    for fulfilment in fulfilments:
        _remember(fulfilment, "lines", sorted(lines_of[fulfilment.pk], key=lambda x: (x.product_name, x.pk)))
    _remember(order, "fulfilments", sorted(fulfilments, key=lambda f: f.cooperative.name))  # Meta.ordering


def _remember(instance, relation: str, objects: list) -> None:
    """Fill `instance`'s prefetch cache for `relation` with the rows just written, as
    `prefetch_related` would have (reads through `.all()` then cost no query)."""
    queryset = getattr(instance, relation).all()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[relation] = queryset


# --- The cooperative's changes to its lines; the buyer's cancellation ------------------------


def line_reject(*, line: OrderLine, actor=None, reason: str = "") -> OrderLine:
    """Reject one line while its fulfilment is pending or confirmed: the cooperative cannot
    supply that product. Its stock goes back (once), the totals follow and the buyer is told.

    When no line of the fulfilment is left, the fulfilment itself is rejected through
    `fulfilment_transition` (and the order follows: all parts rejected -> cancelled), which
    then tells the buyer; otherwise the "changed" notice goes out. Raises TransitionError
    with nothing written.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=line.order_id)
        fulfilment = Fulfilment.objects.select_for_update().get(pk=line.fulfilment_id)
        order_check_open_to_cooperatives(order)
        if fulfilment.status not in LINE_REJECTABLE:
            raise TransitionError(_("This line can no longer be rejected."))
        rejected = (
            OrderLine.objects.filter(pk=line.pk, fulfilment=fulfilment)
            .exclude(status=LineStatus.REJECTED)
            .update(status=LineStatus.REJECTED)
        )
        if not rejected:
            raise TransitionError(_("%(product)s was already rejected.") % {"product": line.product_name})
        line.status = LineStatus.REJECTED
        stock_return(lines=[line])
        note = event_reason(_("Line rejected: %(product)s") % {"product": line.product_name}, reason)
        logged = OrderEvent.objects.record(
            order_id=order.pk,
            fulfilment=fulfilment,
            actor=actor,
            from_status=fulfilment.status,
            to_status=fulfilment.status,
            reason=note,
        )
        if fulfilment.lines.exclude(status=LineStatus.REJECTED).exists():
            order_recompute_totals(order=order)
            notifications.order_changed(
                order,
                event_id=logged.pk,
                change=_("%(product)s cannot be delivered.") % {"product": line.product_name},
            )
        else:
            fulfilment_transition(
                fulfilment=fulfilment, to=FulfilmentStatus.REJECTED, actor=actor, reason=note
            )
    return line


def line_record_delivery(*, line: OrderLine, delivered_quantity, actor=None) -> OrderLine:
    """Record the weight actually delivered; the bill follows and the buyer is told."""
    try:
        delivered = parse_quantity(delivered_quantity, allow_zero=True)
    except QuantityError as error:
        raise CheckoutError(error.message) from None
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=line.order_id)
        fulfilment = Fulfilment.objects.get(pk=line.fulfilment_id)
        if fulfilment.status not in (FulfilmentStatus.CONFIRMED, FulfilmentStatus.READY):
            raise TransitionError(_("Confirm the order before recording delivered quantities."))
        if delivered > line.quantity * settings.MINGA_MAX_DELIVERED_RATIO:
            raise CheckoutError(
                _("The delivered quantity cannot be more than %(pct)s%% of what was ordered.")
                % {"pct": int(settings.MINGA_MAX_DELIVERED_RATIO * 100)}
            )
        OrderLine.objects.filter(pk=line.pk).update(delivered_quantity=delivered)
        line.delivered_quantity = delivered
        logged = OrderEvent.objects.record(
            order_id=order.pk,
            fulfilment=fulfilment,
            actor=actor,
            from_status=fulfilment.status,
            to_status=fulfilment.status,
            reason=f"{line.product_name}: {format_quantity(line.quantity)} → {format_quantity(delivered)}",
        )
        order_recompute_totals(order=order)
        notifications.order_changed(
            order,
            event_id=logged.pk,
            change=_("%(product)s weighed %(quantity)s %(unit)s.")
            % {
                "product": line.product_name,
                "quantity": format_quantity(delivered),
                "unit": unit_name(line.unit, delivered),
            },
        )
    return line


def order_cancel_by_buyer(*, order: Order, buyer) -> Order:
    """Cancel before any cooperative confirms. The check runs under the order's row lock,
    which `fulfilment_transition` also takes, so a confirmation cannot slip in between."""
    with transaction.atomic():
        current = Order.objects.select_for_update().get(pk=order.pk)
        if current.buyer_id != buyer.pk or not current.is_cancellable_by_buyer():
            raise TransitionError(_("This order can no longer be cancelled. Write to the cooperative."))
        return order_transition(
            order=order, to=OrderStatus.CANCELLED, actor=buyer, reason=REASON_CANCELLED_BY_BUYER
        )
