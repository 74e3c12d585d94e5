"""Reads for order pages; each owns its joins so pages run a fixed number of queries."""

from collections.abc import Iterator

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from catalog.selectors import product_cards
from cooperatives.models import Cooperative, Membership
from market.money import line_total_cop
from market.spreadsheets import inert
from orders import channels
from orders.exceptions import CartError
from orders.models import (
    Cart,
    CartLine,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    PaymentProof,
    PaymentStatus,
)

# A card order waiting for its payment (or whose payment never came) is not an order yet
# for the cooperative: it is told on placement only once the payment is through.
_NOT_YET_ORDERS = (OrderStatus.AWAITING_PAYMENT, OrderStatus.EXPIRED)


def cart_summary(cart: Cart | None, channel=None) -> dict:
    """Lines grouped by cooperative, with totals computed from the channel's current prices.

    A line whose product the channel no longer sells is listed with `problem` set and
    no price, so the buyer sees it and can remove it.
    """
    if cart is None:
        return {"groups": [], "total_cop": 0, "count": 0}
    channel = channel or channels.channel_for(cart.channel_key)
    lines = list(
        cart.lines.prefetch_related(
            Prefetch("product", queryset=product_cards(Product.objects.all()))
        ).order_by("product__cooperative__name", "product__name")
    )
    groups: dict[int, dict] = {}
    total = 0
    for line in lines:
        try:
            line.unit_price_cop = channel.unit_price_cop(line.product)
        except CartError as error:
            line.unit_price_cop, line.problem = 0, error.message
        line.total_cop = line_total_cop(line.unit_price_cop, line.quantity)
        total += line.total_cop
        coop = line.product.cooperative
        group = groups.setdefault(coop.pk, {"cooperative": coop, "lines": [], "subtotal_cop": 0})
        group["lines"].append(line)
        group["subtotal_cop"] += line.total_cop
    return {"groups": list(groups.values()), "total_cop": total, "count": len(lines)}


def _carts_of(*, user, session):
    """Her carts when she is signed in, else those whose tokens her session holds (the
    catalogue's and her markets'); None when she has none (no query)."""
    if user is not None and user.is_authenticated:
        return Cart.objects.filter(user=user)
    from orders.services import CART_SESSION_KEY

    prefix = f"{CART_SESSION_KEY}:"
    tokens = [
        token
        for name, token in (session.items() if session is not None else ())
        if name.startswith(prefix) and token
    ]
    if not tokens:
        return None
    return Cart.objects.filter(user__isnull=True, session_key__in=tokens)


def _line_counts(carts) -> dict[str, int]:
    """{channel key: products} of the carts that hold something: one query."""
    return dict(carts.annotate(count=Count("lines")).filter(count__gt=0).values_list("channel_key", "count"))


def other_baskets(*, user, session) -> list[dict]:
    """The buyer's baskets in markets that sell now and hold something, for the catalogue's
    basket page (the header's "Basket" outside a market leads there): [{"title", "url",
    "count"}]. One query for the baskets; the markets' clocks are kept in the page cache.

    A signed-in buyer's are hers; an anonymous visitor's, those whose tokens her session holds.
    """
    carts = _carts_of(user=user, session=session)
    if carts is None:
        return []
    counts = _line_counts(carts.exclude(channel_key=""))
    if not counts:
        return []
    places = channels.basket_places(sorted(counts))
    return sorted(
        ({"title": title, "url": url, "count": counts[key]} for key, (title, url) in places.items()),
        key=lambda basket: basket["title"],
    )


def basket_total(*, user, session) -> int:
    """What the header counts outside a market: the products of her catalogue basket and of
    her baskets in markets that sell now (the catalogue's basket page lists those). One
    query; none for a visitor without a basket."""
    carts = _carts_of(user=user, session=session)
    if carts is None:
        return 0
    counts = _line_counts(carts)
    total = counts.pop("", 0)
    if counts:
        total += sum(counts[key] for key in channels.basket_places(sorted(counts)))
    return total


def cart_line_count(cart: Cart | None) -> int:
    return CartLine.objects.filter(cart=cart).count() if cart else 0


def order_for_buyer(*, user, number: str) -> Order | None:
    return (
        Order.objects.for_buyer(user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("cooperative")),
            Prefetch("lines", queryset=OrderLine.objects.order_by("fulfilment_id", "product_name")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("fulfilment__cooperative")),
            "payment_proofs",
        )
        .filter(number=number)
        .first()
    )


def orders_for_buyer(*, user):
    return Order.objects.for_buyer(user).prefetch_related(
        Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("cooperative"))
    )


# --- The cooperative's workspace ---------------------------------------------------------


def cooperative_fulfilments(*, cooperative: Cooperative, status: str = "") -> QuerySet[Fulfilment]:
    """This cooperative's fulfilments, newest order first, with order, buyer and organisation
    joined: the list runs the same few queries for 5 orders or 500."""
    fulfilments = (
        Fulfilment.objects.filter(cooperative=cooperative)
        .exclude(order__status__in=_NOT_YET_ORDERS)
        .select_related("order__buyer", "order__organization")
        .order_by("-order__placed_at", "-pk")
    )
    if status:
        fulfilments = fulfilments.filter(status=status)
    return fulfilments


# What waits for the cooperative, in the order she acts on it: confirm (or reject) a new
# order, get it ready, hand it over.
WAITING_STATUSES = (FulfilmentStatus.PENDING, FulfilmentStatus.CONFIRMED, FulfilmentStatus.READY)


def cooperative_waiting(*, cooperative: Cooperative, limit: int = 30) -> dict:
    """The workspace's first screen: how many of this cooperative's parts wait at each step
    (one query), and the first `limit` of them, new ones first, then the oldest (one query).
    """
    waiting = cooperative_fulfilments(cooperative=cooperative).filter(status__in=WAITING_STATUSES)
    counts = waiting.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in WAITING_STATUSES}
    )
    step = Case(
        *(When(status=status, then=Value(index)) for index, status in enumerate(WAITING_STATUSES)),
        output_field=IntegerField(),
    )
    rows = list(waiting.annotate(step=step).order_by("step", "order__placed_at", "pk")[:limit])
    for fulfilment in rows:
        fulfilment.buyer_label = buyer_label(fulfilment.order)
    return {"counts": counts, "rows": rows, "total": sum(counts.values())}


def cooperative_fulfilment(*, cooperative: Cooperative, pk: int) -> Fulfilment | None:
    """One fulfilment of this cooperative with its own lines, or None."""
    return (
        cooperative_fulfilments(cooperative=cooperative)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("product_name", "pk")))
        .filter(pk=pk)
        .first()
    )


def fulfilment_log(fulfilment: Fulfilment) -> list[OrderEvent]:
    """This fulfilment's moves, and the order's own moves (placed, paid, cancelled), as its
    cooperative may see them.

    Order-level rows are shown without their actor: the last confirmation may have been
    made by another cooperative's manager. An offline order's own payment row (unpaid ->
    paid, "every cooperative recorded its payment") would tell this cooperative that the
    others were paid: it is left out, and the cooperative sees the row of its own part
    instead. A card pays the whole order, so its rows stay. Reads `fulfilment.order`.
    """
    events = list(
        OrderEvent.objects.filter(
            Q(fulfilment=fulfilment) | Q(order_id=fulfilment.order_id, fulfilment__isnull=True)
        ).select_related("actor")
    )
    for event in events:
        if event.fulfilment_id is None:
            event.actor = None
    if fulfilment.order.payment_method == PaymentMethod.CARD:
        return events
    return [
        event
        for event in events
        if event.fulfilment_id is not None or event.to_status not in PaymentStatus.values
    ]


def cooperative_order_lines(*, fulfilments: QuerySet[Fulfilment]) -> QuerySet[OrderLine]:
    """The lines of `fulfilments` (one cooperative's), with what the CSV export prints joined."""
    return (
        OrderLine.objects.filter(fulfilment__in=fulfilments)
        .select_related("order__buyer", "order__organization", "fulfilment")
        .order_by("-order__placed_at", "order_id", "product_name", "pk")
    )


def cooperative_order_lines_csv(*, cooperative: Cooperative, status: str = "") -> tuple[list, Iterator[list]]:
    """This cooperative's order lines for a spreadsheet: the header and the rows.

    Quantities are Decimals, written with a decimal comma by `market.spreadsheets`. Dates
    are in the site's time zone (America/Bogota), named in the header. Text people typed is
    inert.
    """
    zone = timezone.get_default_timezone()
    header = [
        _("Order"),
        _("Date (%(zone)s)") % {"zone": zone.key},
        _("Buyer"),
        _("Product"),
        _("Unit"),
        _("Ordered quantity"),
        _("Delivered quantity"),
        _("Unit price (COP)"),
        _("Line total (COP)"),
        _("Status"),
    ]
    lines = cooperative_order_lines(
        fulfilments=cooperative_fulfilments(cooperative=cooperative, status=status)
    )
    rows = (
        [
            line.order.number,
            timezone.localtime(line.order.placed_at, zone).strftime("%Y-%m-%d %H:%M"),
            inert(buyer_label(line.order)),
            inert(line.product_name),
            line.get_unit_display(),
            line.quantity,
            line.delivered_quantity if line.delivered_quantity is not None else "",
            line.unit_price_cop,
            line.total_cop,
            line.fulfilment.get_status_display(),
        ]
        for line in lines.iterator(chunk_size=500)
    )
    return header, rows


def buyer_label(order: Order) -> str:
    """The buyer as the cooperative knows her: an organisation's legal name and PO number,
    or the person's name. Reads `order.buyer` and `order.organization`: join them first."""
    if order.organization_id:
        name = order.organization.legal_name
        if order.purchase_order_number:
            name += " · " + _("PO %(number)s") % {"number": order.purchase_order_number}
        return name
    return order.buyer.display_name


# --- Documents and transfer proofs, with who may see them ------------------------------------
#
# Every document view asks these loaders, so all ask the same question:
# - a buyer sees the documents of her own orders (`Order.objects.for_buyer`); any other
#   order number is a 404, never a "forbidden" that would confirm the order exists;
# - a cooperative's members see the document of their own fulfilment only;
# - a transfer proof is seen by the buyer, by a member of a cooperative that has a part in
#   the order, and by staff. Proof files get a random name and are only ever served through
#   `transfer_views.transfer_proof_file`, never linked with MEDIA_URL.


def _document_fulfilments():
    return Fulfilment.objects.select_related(
        "order__buyer",
        "order__organization__municipality__department",
        "cooperative__municipality__department",
    )


def fulfilment_for_buyer(*, user, number: str, pk) -> Fulfilment | None:
    """One cooperative's part of the user's own order, or None (the view turns it into 404)."""
    return (
        _document_fulfilments()
        .filter(pk=pk, order__in=Order.objects.for_buyer(user).filter(number=number))
        .first()
    )


def fulfilment_for_cooperative(*, cooperative: Cooperative, pk) -> Fulfilment | None:
    """The cooperative's own fulfilment, or None. Membership is checked by the caller
    (`cooperatives.permissions.workspace_membership`)."""
    return _document_fulfilments().filter(pk=pk, cooperative=cooperative).first()


def user_may_see_order_payments(*, user, order: Order) -> bool:
    """The buyer, a member of a cooperative with a part in the order, or staff."""
    if not user.is_authenticated:
        return False
    if user.is_staff or order.buyer_id == user.pk:
        return True
    return Membership.objects.filter(user=user, cooperative__fulfilments__order=order).exists()


def proof_for_viewer(*, user, number: str, pk) -> PaymentProof | None:
    proof = PaymentProof.objects.select_related("order").filter(pk=pk, order__number=number).first()
    if proof is None or not user_may_see_order_payments(user=user, order=proof.order):
        return None
    return proof
