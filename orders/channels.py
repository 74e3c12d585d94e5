"""Where an order is sold: the catalogue, or a channel another app registers (a market).

`orders` must not import `cms` (dependencies point one way), so `cms` registers its
market channel here when it starts, and the cart and checkout call every channel through
this small interface: prices, rules, what stock to take and give back, and fees.
"""

from collections.abc import Callable
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import Product
from market import page_cache
from market.units import QuantityError, check_step, format_quantity
from orders.exceptions import CartError, InsufficientStockError, ShortLine
from orders.models import Channel, DeliveryMethod


class CatalogChannel:
    """Direct orders from the catalogue: the product's own price, stock and delivery rules."""

    key = ""
    kind = Channel.CATALOG

    def unit_price_cop(self, product: Product) -> int:
        return product.price_cop

    def check_line(self, product: Product, quantity: Decimal, *, cart) -> None:
        """A cart change: availability, minimum, step and what is left in stock."""
        self.check_checkout_line(product, quantity)
        if product.stock is not None and quantity > product.stock:
            raise CartError(
                _("Only %(available)s %(unit)s of %(name)s left.")
                % {
                    "available": format_quantity(product.stock),
                    "unit": product.get_unit_display(),
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

    def fees_after_change(self, *, delivery_method: str, subtotals: dict) -> tuple[dict[int, int], int]:
        """Fees once weights or lines changed: the same rule, without refusing anything."""
        if delivery_method != DeliveryMethod.DELIVERY:
            return {}, 0
        return {
            cooperative.pk: cooperative.delivery_fee_for(subtotal)
            for cooperative, subtotal in subtotals.items()
        }, 0

    def reserve(self, *, wanted: dict[int, Decimal]) -> None:
        """Take stock for every product, all or nothing, in primary-key order.

        One conditional UPDATE per product: it cannot oversell on PostgreSQL and never
        deadlocks, because every checkout locks rows in the same order. The caller
        holds the transaction, whose rollback undoes the units taken before a short line.
        """
        short: list[ShortLine] = []
        for product_id in sorted(wanted):
            quantity = wanted[product_id]
            taken = Product.objects.filter(pk=product_id, stock__isnull=False, stock__gte=quantity).update(
                stock=F("stock") - quantity
            )
            if taken:
                continue
            row = Product.objects.filter(pk=product_id).values("name", "stock").first()
            if row is not None and row["stock"] is None:
                continue  # made to order
            short.append(
                ShortLine(
                    product_id=product_id,
                    product_name=row["name"] if row else "",
                    requested=quantity,
                    available=(row["stock"] if row else Decimal("0")) or Decimal("0"),
                )
            )
        if short:
            raise InsufficientStockError(short)
        page_cache.pages_changed()  # what is left changed: cached pages render afresh on commit

    def release(self, *, lines) -> None:
        """Give back the units of lines already claimed once by `stock_return`."""
        for line in sorted(lines, key=lambda item: item.product_id):
            Product.objects.filter(pk=line.product_id, stock__isnull=False).update(
                stock=F("stock") + line.quantity
            )
        page_cache.pages_changed()

    def check_payment_confirmation(self, *, order, at) -> None:
        """When a card payment is confirmed: raise CartError to refuse it (then it is released)."""

    def after_place(self, *, order, choice) -> None:
        """Inside the placing transaction, once the order and its lines exist."""

    def after_end(self, *, order) -> None:
        """Inside the transaction that cancels or expires the order."""


def _cop(value: int) -> str:
    from market.money import format_cop

    return format_cop(value)


_CATALOG = CatalogChannel()
_resolvers: dict[str, Callable[[str], object | None]] = {}


def register(prefix: str, resolver: Callable[[str], object | None]) -> None:
    """Let another app sell through orders: keys `"<prefix>:<id>"` resolve to its channel."""
    _resolvers[prefix] = resolver


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
