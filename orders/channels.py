"""Where an order is sold: the catalogue, or a channel another app registers (a market).

`orders` must not import `cms` (dependencies point one way), so `cms` registers its
market channel here when it starts, and the cart and checkout call every channel through
this small interface: prices, rules, what stock to take and give back, and fees.
"""

from collections.abc import Callable
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from catalog.models import Product
from market import page_cache
from market.units import QuantityError, check_step, format_quantity, unit_name
from orders.exceptions import CartError, InsufficientStockError, ShortLine
from orders.models import Channel, DeliveryMethod


class CatalogChannel:
    """Direct orders from the catalogue: the product's own price, stock and delivery rules."""

    key = ""
    kind = Channel.CATALOG

    def read_products(self, queryset, *, product: str = "pk") -> list:
        """Evaluate `queryset`, of products or of rows naming one (`product`: the field or
        attribute with its id, such as a basket line's "product_id"), with what this channel
        sells them by, read in the same query. The catalogue sells by the product's own row:
        nothing to add."""
        return list(queryset)

    def unit_price_cop(self, product: Product) -> int:
        return product.price_cop

    def check_open(self, at=None) -> None:
        """Raise CartError when the channel does not sell now (the catalogue always does)."""

    def basket_url(self) -> str:
        """Where the buyer sees this channel's basket."""
        return reverse("orders:cart")

    def check_line(self, product: Product, quantity: Decimal, *, cart) -> None:
        """A cart change: availability, minimum, step and what is left in stock."""
        self.check_checkout_line(product, quantity)
        if product.stock is not None and quantity > product.stock:
            raise CartError(
                _("Only %(available)s %(unit)s of %(name)s left.")
                % {
                    "available": format_quantity(product.stock),
                    "unit": unit_name(product.unit, product.stock),
                    "name": product.name,
                }
            )

    def check_checkout_line(self, product: Product, quantity: Decimal) -> None:
        """Checkout: availability and step; the stock itself is taken by `reserve`."""
        if not product.is_available or product.is_hidden or not product.cooperative.is_verified():
            raise CartError(_("%(name)s is not available now.") % {"name": product.name})
        if product.stock is not None and product.stock <= 0 and quantity > 0:
            # Sold out since it was added: `reserve` reports it with what is left.
            return
        try:
            check_step(quantity, minimum=product.min_quantity, step=product.quantity_step)
        except QuantityError as error:
            raise CartError(f"{product.name}: {error.message}") from None

    def check_checkout(self, *, buyer, choice, subtotal_cop: int) -> None:
        """Rules of the whole checkout beyond the lines (a market checks its clock here)."""

    def delivery_fees(self, *, delivery_method: str, subtotals: dict) -> tuple[dict[int, int], int]:
        """Fees per cooperative (keyed by pk) and any order-level fee.

        `subtotals` maps each Cooperative to its subtotal. Raises CartError when a
        cooperative does not offer the chosen method or asks for a larger order.
        """
        fees = {}
        for cooperative, subtotal in subtotals.items():
            if cooperative.min_order_cop and subtotal < cooperative.min_order_cop:
                raise CartError(
                    _("%(name)s asks for a minimum order of %(min)s.")
                    % {"name": cooperative.name, "min": _cop(cooperative.min_order_cop)}
                )
            if delivery_method == DeliveryMethod.DELIVERY:
                if not cooperative.offers_delivery:
                    raise CartError(
                        _("%(name)s does not deliver; choose pickup.") % {"name": cooperative.name}
                    )
                fees[cooperative.pk] = cooperative.delivery_fee_for(subtotal)
            else:
                if not cooperative.offers_pickup:
                    raise CartError(
                        _("%(name)s only delivers; choose delivery.") % {"name": cooperative.name}
                    )
                fees[cooperative.pk] = 0
        return fees, 0

    def delivery_offered(self, *, subtotals: dict) -> bool:
        """Whether this basket can be delivered at all: every cooperative in it delivers."""
        return bool(subtotals) and all(cooperative.offers_delivery for cooperative in subtotals)

    def checkout_rules(self, *, subtotals: dict) -> list[str]:
        """What the buyer should know before ordering, one sentence each: every cooperative's
        minimum order and whether, where and for how much it delivers (the rules
        `delivery_fees` applies). `subtotals` maps each Cooperative to its subtotal."""
        rules = []
        for cooperative, subtotal in subtotals.items():
            name = cooperative.name
            if cooperative.min_order_cop:
                rule = _("%(name)s asks for a minimum order of %(min)s.") % {
                    "name": name,
                    "min": _cop(cooperative.min_order_cop),
                }
                if subtotal < cooperative.min_order_cop:
                    rule += " " + _("Add %(missing)s more.") % {
                        "missing": _cop(cooperative.min_order_cop - subtotal)
                    }
                rules.append(rule)
            if cooperative.offers_delivery:
                fee = cooperative.delivery_fee_for(subtotal)
                where = cooperative.delivery_area or _("its area")
                if fee:
                    rule = _("%(name)s delivers to %(area)s for %(fee)s.") % {
                        "name": name,
                        "area": where,
                        "fee": _cop(fee),
                    }
                    if cooperative.free_delivery_from_cop is not None:
                        rule += " " + _("Free from %(amount)s.") % {
                            "amount": _cop(cooperative.free_delivery_from_cop)
                        }
                else:
                    rule = _("%(name)s delivers to %(area)s at no charge.") % {"name": name, "area": where}
                rules.append(rule)
            else:
                rules.append(_("%(name)s does not deliver: you pick up its part.") % {"name": name})
            if cooperative.offers_pickup and cooperative.pickup_address:
                rules.append(
                    _("Pickup from %(name)s: %(address)s.")
                    % {"name": name, "address": cooperative.pickup_address}
                )
        return rules

    def fees_after_change(self, *, delivery_method: str, subtotals: dict) -> tuple[dict[int, int], int]:
        """Fees once weights or lines changed: the same rule, without refusing anything."""
        if delivery_method != DeliveryMethod.DELIVERY:
            return {}, 0
        return {
            cooperative.pk: cooperative.delivery_fee_for(subtotal)
            for cooperative, subtotal in subtotals.items()
        }, 0

    def reserve(self, *, wanted: dict[int, Decimal], products: dict | None = None) -> None:
        """Take stock for every product, all or nothing, from rows locked in primary-key order.

        The products' rows are locked and read in primary-key order (so checkouts never
        deadlock: every one locks in the same order): `products` when the caller did so in
        this transaction (a checkout, with its basket's lines: `orders.services._cart_claim`),
        else here. Then one conditional UPDATE takes every line's units (`stock >= n` for
        each row, so it cannot oversell on PostgreSQL and stays correct on SQLite, whose
        writers take turns). One query, or two, whatever the number of lines. The caller
        holds the transaction, whose rollback undoes everything when a line is short.
        """
        if products is None:
            rows = {
                row["pk"]: row
                for row in Product.objects.select_for_update()
                .filter(pk__in=list(wanted))
                .order_by("pk")
                .values("pk", "name", "stock")
            }
        else:
            rows = {pk: {"pk": pk, "name": p.name, "stock": p.stock} for pk, p in products.items()}
        stocked = {pid: q for pid, q in wanted.items() if pid not in rows or rows[pid]["stock"] is not None}
        short = [
            ShortLine(
                product_id=pid,
                product_name=rows[pid]["name"] if pid in rows else "",
                requested=quantity,
                available=rows[pid]["stock"] if pid in rows else Decimal("0"),
            )
            for pid, quantity in sorted(stocked.items())
            if pid not in rows or rows[pid]["stock"] < quantity
        ]
        if short:
            raise InsufficientStockError(short)
        # What is left changed (here, or only in a market's counters when all is made to
        # order): cached pages render afresh once this commits.
        page_cache.stock_changed()
        if not stocked:
            return  # all made to order
        amount = per_row("pk", stocked)
        taken = Product.objects.filter(pk__in=list(stocked), stock__isnull=False, stock__gte=amount).update(
            stock=F("stock") - amount
        )
        if taken != len(stocked):  # cannot happen under the lock; refuse rather than oversell
            raise InsufficientStockError(
                [
                    ShortLine(
                        product_id=pid, product_name=rows[pid]["name"], requested=q, available=Decimal("0")
                    )
                    for pid, q in sorted(stocked.items())
                ]
            )

    def release(self, *, lines) -> None:
        """Give back the units of lines already claimed once by `stock_return`, in
        primary-key order (a market's channel gives back to its counters after this)."""
        for line in sorted(lines, key=lambda item: item.product_id):
            Product.objects.filter(pk=line.product_id, stock__isnull=False).update(
                stock=F("stock") + line.quantity
            )
        page_cache.stock_changed()

    def check_payment_confirmation(self, *, order, at) -> None:
        """When a card payment is confirmed: raise CartError to refuse it (then it is released)."""

    def after_place(self, *, order, choice) -> None:
        """Inside the placing transaction, once the order and its lines exist: where she
        collects it, for the messages written next (from the rows in memory, no query)."""
        from orders.handover import catalog_handover_placed

        order.handover = catalog_handover_placed(order, order.fulfilments.all())

    def after_end(self, *, order) -> None:
        """Inside the transaction that cancels or expires the order."""


def per_row(key: str, quantities: dict[int, Decimal]) -> Case:
    """An SQL expression worth `quantities[row's key]` on each row (one UPDATE for many rows)."""
    return Case(
        *[When(**{key: pk}, then=Value(quantity)) for pk, quantity in quantities.items()],
        output_field=DecimalField(max_digits=10, decimal_places=3),
    )


def _cop(value: int) -> str:
    from market.money import format_cop

    return format_cop(value)


_CATALOG = CatalogChannel()
_resolvers: dict[str, Callable[[str], object | None]] = {}


def register(prefix: str, resolver: Callable[[str], object | None]) -> None:
    """Let another app sell through orders: keys `"<prefix>:<id>"` resolve to its channel."""
    _resolvers[prefix] = resolver


_basket_places: dict[str, Callable[[list[str]], dict[str, tuple[str, str]]]] = {}


def register_baskets(prefix: str, places: Callable[[list[str]], dict[str, tuple[str, str]]]) -> None:
    """Let another app name its open baskets: `places(keys)` answers, in one query, {key:
    (title, basket url)} for the keys of `"<prefix>:<id>"` whose channel sells now."""
    _basket_places[prefix] = places


def basket_places(keys: list[str]) -> dict[str, tuple[str, str]]:
    """{key: (title, basket url)} of the channels among `keys` that sell now."""
    by_prefix: dict[str, list[str]] = {}
    for key in keys:
        by_prefix.setdefault(key.split(":", 1)[0], []).append(key)
    found = {}
    for prefix, wanted in by_prefix.items():
        if prefix in _basket_places:
            found.update(_basket_places[prefix](wanted))
    return found


def channel_for(key: str):
    """The channel of a cart or order key; CartError when it no longer exists."""
    if not key:
        return _CATALOG
    prefix = key.split(":", 1)[0]
    resolver = _resolvers.get(prefix)
    channel = resolver(key) if resolver else None
    if channel is None:
        raise CartError(_("This market does not exist."))
    return channel
