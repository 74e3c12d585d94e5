"""Carts, orders, per-cooperative fulfilments, their status logs and payments.

Statuses change only through `orders.transitions.order_transition` and
`orders.transitions.fulfilment_transition`, which check the move and write a log row.
"""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from cooperatives.models import Cooperative, Producer
from market.models import BuyerOrganization
from market.units import Unit

_NUMBER_ALPHABET = "ACDEFHJKLMNPQRTUVWXY34679"


def new_order_number() -> str:
    """Short, unambiguous, unguessable: `MG-7K3P9QXA`."""
    return "MG-" + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))


class Cart(models.Model):
    """A basket: one per signed-in user, or one per anonymous session."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="carts"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    # "" for the catalogue; "market:<page id>" for a market's own cart (see orders.channels).
    channel_key = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The order this basket last became: a second submit of it lands there (orders.services).
    placed_order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("cart")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(user__isnull=True, session_key=""), name="cart_has_owner"
            ),
            models.UniqueConstraint(fields=["user", "channel_key"], name="cart_one_per_user_and_channel"),
        ]

    def __str__(self):
        return f"cart {self.pk}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.DecimalField(max_digits=10, decimal_places=3)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="cart_line_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="cart_line_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.product_id} × {self.quantity}"


class Channel(models.TextChoices):
    CATALOG = "catalog", _("Catalogue")
    MARKET = "market", _("Peasant market")


class OrderStatus(models.TextChoices):
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PLACED = "placed", _("Placed")
    CONFIRMED = "confirmed", _("Confirmed")
    READY = "ready", _("Ready")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class FulfilmentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the cooperative")
    # Spanish agrees with the noun: a cooperative's part of an order is "el pedido".
    CONFIRMED = "confirmed", pgettext_lazy("order part", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("order part", "Rejected")
    READY = "ready", _("Ready")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


# One place for the status sets every report and rule reads.
# An order that is over: it holds no stock and nobody acts on it any more.
ORDER_ENDED = frozenset({OrderStatus.CANCELLED, OrderStatus.EXPIRED})
# Not (or not yet) a sale: over, or a card payment still to come. Lists and reports count the rest.
ORDER_NOT_PLACED = ORDER_ENDED | {OrderStatus.AWAITING_PAYMENT}
# A cooperative's part that will not be delivered.
FULFILMENT_ENDED = frozenset({FulfilmentStatus.REJECTED, FulfilmentStatus.CANCELLED})


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup")
    DELIVERY = "delivery", _("Delivery")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash on delivery or pickup")
    TRANSFER = "transfer", _("Bank transfer")
    INVOICE = "invoice", _("Invoice on credit")
    CARD = "card", _("Card")


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    AUTHORISED = "authorised", _("Authorised")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    FAILED = "failed", _("Failed")


class OrderQuerySet(models.QuerySet):
    def for_buyer(self, user):
        """Orders a user may see as a buyer: her own. Anything else is a 404."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(buyer=user)


class Order(models.Model):
    number = models.CharField(_("number"), max_length=16, unique=True, default=new_order_number)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", verbose_name=_("buyer")
    )
    organization = models.ForeignKey(
        BuyerOrganization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("organisation"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CATALOG)
    channel_key = models.CharField(max_length=40, blank=True, default="", db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    delivery_method = models.CharField(_("delivery"), max_length=10, choices=DeliveryMethod.choices)
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    purchase_order_number = models.CharField(_("purchase order number"), max_length=50, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Who collects the order, when it was taken by phone on someone's behalf.
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    # The language the buyer ordered in: her e-mails about this order are written in it.
    language = models.CharField(_("language"), max_length=7, default="es", editable=False)
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices)
    payment_status = models.CharField(
        _("payment"), max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    subtotal_cop = models.PositiveBigIntegerField(_("subtotal"), default=0)
    delivery_fee_cop = models.PositiveBigIntegerField(_("delivery fees"), default=0)
    total_cop = models.PositiveBigIntegerField(_("total"), default=0)
    # What the card was authorised for at checkout; capture never exceeds it.
    authorised_cop = models.PositiveBigIntegerField(default=0)
    # What was collected: the card capture, or for an offline method the sum of what the
    # cooperatives recorded for their parts so far (the order is PAID once every part is).
    paid_cop = models.PositiveBigIntegerField(default=0)
    refunded_cop = models.PositiveBigIntegerField(default=0)
    transfer_reference = models.CharField(max_length=20, blank=True)
    due_on = models.DateField(_("due date"), null=True, blank=True)
    stripe_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_expires_at = models.DateTimeField(null=True, blank=True)
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    # The checkout form's one-time key: the same form posted again finds this order.
    checkout_key = models.CharField(max_length=64, blank=True, default="")

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total_cop=models.F("subtotal_cop") + models.F("delivery_fee_cop")),
                name="order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_cop__lte=models.F("authorised_cop"))
                | ~models.Q(payment_method="card"),
                name="order_capture_not_above_authorised",
            ),
            models.UniqueConstraint(
                fields=["checkout_key"],
                condition=~models.Q(checkout_key=""),
                name="order_checkout_key_once",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def outstanding_cop(self) -> int:
        """What is still to pay on an unpaid order: its total less what the cooperatives
        already recorded as received (offline payments are recorded part by part)."""
        if self.payment_status != PaymentStatus.UNPAID:
            return 0
        return max(self.total_cop - self.paid_cop, 0)

    @property
    def is_ended(self) -> bool:
        """Cancelled or expired: nothing is owed, nothing will be delivered."""
        return self.status in ORDER_ENDED

    def buyer_status_label(self) -> str:
        """The status the buyer reads at the top of her order, following its parts: while
        some cooperatives are further on than others it says "Partly confirmed", "Partly
        ready" or "Partly delivered", and once every part still going was handed over,
        "Delivered". Reads `self.fulfilments.all()`: prefetch them."""
        if self.status in ORDER_ENDED or self.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.COMPLETED):
            return self.get_status_display()
        live = [f.status for f in self.fulfilments.all() if f.status not in FULFILMENT_ENDED]
        if not live:
            return self.get_status_display()
        if all(status == FulfilmentStatus.HANDED_OVER for status in live):
            return str(OrderStatus.DELIVERED.label)
        if FulfilmentStatus.HANDED_OVER in live:
            return gettext("Partly delivered")
        if FulfilmentStatus.READY in live and self.status != OrderStatus.READY:
            return gettext("Partly ready")
        if FulfilmentStatus.CONFIRMED in live and FulfilmentStatus.PENDING in live:
            return gettext("Partly confirmed")
        return self.get_status_display()

    def payment_label(self) -> str:
        """How her payment stands, in words that agree with each other: "Unpaid", "Paid",
        or "Partly paid: $ 29.610 of $ 59.000" while some cooperatives recorded theirs.
        Empty for a cancelled order with nothing paid: nothing is owed."""
        from market.money import format_cop

        if self.payment_status == PaymentStatus.UNPAID:
            if self.status in ORDER_ENDED and not self.paid_cop:
                return ""
            if self.paid_cop:
                return gettext("Partly paid: %(paid)s of %(total)s") % {
                    "paid": format_cop(self.paid_cop),
                    "total": format_cop(self.total_cop),
                }
        return self.get_payment_status_display()

    def is_cancellable_by_buyer(self) -> bool:
        """Before any cooperative confirms, the buyer may cancel."""
        if self.status not in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PLACED):
            return False
        return not any(f.status != FulfilmentStatus.PENDING for f in self.fulfilments.all())


class Fulfilment(models.Model):
    """One cooperative's part of an order. The cooperative sees this and nothing else."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfilments")
    cooperative = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="fulfilments")
    status = models.CharField(
        _("status"), max_length=12, choices=FulfilmentStatus.choices, default=FulfilmentStatus.PENDING
    )
    subtotal_cop = models.PositiveBigIntegerField(default=0)
    delivery_fee_cop = models.PositiveBigIntegerField(default=0)
    total_cop = models.PositiveBigIntegerField(default=0)
    # An offline payment (cash, transfer, invoice) is recorded part by part, by each
    # cooperative: what it received for its part (its total then, with its delivery fee)
    # and when. Written only by `orders.payments.offline.fulfilment_mark_paid`. A card pays
    # the whole order at once: for a card order these stay empty and the order's own
    # `payment_status` is every part's (see `payment_status` below).
    paid_cop = models.PositiveBigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "cooperative__name"]
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        constraints = [
            models.UniqueConstraint(fields=["order", "cooperative"], name="fulfilment_unique"),
            models.CheckConstraint(
                condition=models.Q(total_cop=models.F("subtotal_cop") + models.F("delivery_fee_cop")),
                name="fulfilment_total_adds_up",
            ),
            models.CheckConstraint(
                condition=models.Q(paid_at__isnull=False) | models.Q(paid_cop=0),
                name="fulfilment_paid_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.order.number} · {self.cooperative}"

    @property
    def is_paid(self) -> bool:
        """This cooperative recorded the offline payment of its part."""
        return self.paid_at is not None

    @property
    def payment_status(self) -> str:
        """The payment of this part: its own record for an offline method, the order's for
        a card (one charge for the whole order). Reads `self.order`: join it first."""
        if self.order.payment_method == PaymentMethod.CARD:
            return self.order.payment_status
        return PaymentStatus.PAID if self.is_paid else PaymentStatus.UNPAID

    def get_payment_status_display(self) -> str:
        return str(PaymentStatus(self.payment_status).label)


class LineStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Spanish agrees with the noun: a line is "el producto".
    CONFIRMED = "confirmed", pgettext_lazy("order line", "Confirmed")
    REJECTED = "rejected", pgettext_lazy("order line", "Rejected")


class OrderLineQuerySet(models.QuerySet):
    def counted(self):
        """Lines that are real sales: the order is placed (not cancelled, expired or waiting
        for a card payment), the cooperative's part is alive and the line is not rejected.
        The one rule every report counts with (market summaries, statements' lines, impact)."""
        return (
            self.exclude(order__status__in=ORDER_NOT_PLACED)
            .exclude(fulfilment__status__in=FULFILMENT_ENDED)
            .exclude(status=LineStatus.REJECTED)
        )


class OrderLine(models.Model):
    """What was ordered, with name, unit and price copied at the time of ordering."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    fulfilment = models.ForeignKey(Fulfilment, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=120)
    unit = models.CharField(max_length=10, choices=Unit.choices)
    unit_price_cop = models.PositiveIntegerField()
    quantity = models.DecimalField(_("ordered"), max_digits=10, decimal_places=3)
    delivered_quantity = models.DecimalField(
        _("delivered"), max_digits=10, decimal_places=3, null=True, blank=True
    )
    total_cop = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=LineStatus.choices, default=LineStatus.PENDING)
    # Set once when the reserved stock goes back (cancel, reject, expire): never twice.
    stock_returned_at = models.DateTimeField(null=True, blank=True)

    objects = OrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["fulfilment_id", "product_name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(delivered_quantity__isnull=True) | models.Q(delivered_quantity__gte=0),
                name="order_line_delivered_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.product_name} × {self.quantity}"

    @property
    def billed_quantity(self) -> Decimal:
        if self.status == LineStatus.REJECTED:
            return Decimal("0")
        return self.delivered_quantity if self.delivered_quantity is not None else self.quantity


class LineSupply(models.Model):
    """Which producer family supplied how much of one order line (traceability, and the
    income that reaches each family). Written only by `orders.supply.line_supply_record`.

    The value reaching a family follows the line: its share of the line's total (as
    delivered, times the price) in proportion to the quantity it supplied, so a weight
    recorded later moves every family's value with it.
    """

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="supplies")
    producer = models.ForeignKey(
        Producer, on_delete=models.PROTECT, related_name="line_supplies", verbose_name=_("producer")
    )
    quantity = models.DecimalField(_("quantity supplied"), max_digits=10, decimal_places=3)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["line_id", "producer__name", "id"]
        verbose_name = _("supply by a family")
        verbose_name_plural = _("supplies by families")
        constraints = [
            models.UniqueConstraint(fields=["line", "producer"], name="line_supply_once_per_producer"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="line_supply_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.line_id} ← {self.producer_id} × {self.quantity}"


def event_reason(what: str, why: str = "") -> str:
    """A log row's reason: what happened, then what the person typed about it, if anything."""
    why = why.strip()
    return f"{what} · {why}" if why else what


# Reasons the app writes in a log row, kept in English and shown in the reader's language
# (`OrderEvent.reason_label`): a row is read by the buyer and by cooperatives, each in
# their own language.
REASON_CANCELLED_BY_BUYER = gettext_noop("cancelled by buyer")
REASON_ALL_PARTS_REJECTED = gettext_noop("all parts rejected")
REASON_CARD_AUTHORISED = gettext_noop("card payment authorised")
REASON_CARD_FAILED = gettext_noop("card payment failed")
REASON_CARD_TIMED_OUT = gettext_noop("card payment time ran out")
REASON_HANDED_OVER_AT_MARKET = gettext_noop("handed over at the market")
EVENT_REASONS = frozenset(
    {
        REASON_CANCELLED_BY_BUYER,
        REASON_ALL_PARTS_REJECTED,
        REASON_CARD_AUTHORISED,
        REASON_CARD_FAILED,
        REASON_CARD_TIMED_OUT,
        REASON_HANDED_OVER_AT_MARKET,
    }
)


class OrderEventManager(models.Manager):
    def record(
        self,
        *,
        order_id: int,
        to_status: str,
        from_status: str = "",
        fulfilment: Fulfilment | None = None,
        actor=None,
        reason: str = "",
        at: datetime | None = None,
    ) -> "OrderEvent":
        """The one writer of a log row. A note that changes no status repeats the status
        in `from_status` and `to_status`; the reason is cut to what the column holds."""
        return self.create(
            order_id=order_id,
            fulfilment=fulfilment,
            actor=actor,
            at=at or timezone.now(),
            from_status=from_status,
            to_status=to_status,
            reason=reason[:255],
        )


class OrderEvent(models.Model):
    """The status log: who moved what, when, from where to where, and why.
    Rows are written by `OrderEvent.objects.record`."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    fulfilment = models.ForeignKey(
        Fulfilment, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=255, blank=True)

    objects = OrderEventManager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order_id}: {self.from_status} → {self.to_status}"

    @staticmethod
    def _label(code: str) -> str:
        labels = dict(PaymentStatus.choices)
        labels.update(dict(FulfilmentStatus.choices))
        labels.update(dict(OrderStatus.choices))
        return str(labels.get(code, code))

    def from_label(self) -> str:
        return self._label(self.from_status) if self.from_status else ""

    def to_label(self) -> str:
        return self._label(self.to_status)

    def changes_status(self) -> bool:
        """False for a note (a weight, a rejected line): it repeats the status."""
        return self.from_status != self.to_status

    def reason_label(self) -> str:
        """The reason in the reader's language when the app wrote it (`EVENT_REASONS`); what
        a person typed, or a note already worded, as it was written."""
        return gettext(self.reason) if self.reason in EVENT_REASONS else self.reason


class PaymentProof(models.Model):
    """A buyer's proof of a bank transfer (image or PDF), checked by a manager or staff."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payment_proofs")
    file = models.FileField(upload_to="payment-proofs/%Y/%m/")
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)

    def __str__(self):
        return self.file.name


class StripeEvent(models.Model):
    """Each webhook event id is stored once; a replay finds it and changes nothing."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return self.event_id
