"""Reads for order pages; each owns its joins so pages run a fixed number of queries."""

from django.db.models import Prefetch

from catalog.models import Product
from catalog.selectors import product_cards
from market.money import line_total_cop
from orders.models import Cart, CartLine, Fulfilment, Order, OrderLine


def cart_summary(cart: Cart | None) -> dict:
    """Lines grouped by cooperative, with totals computed from current prices."""
    if cart is None:
        return {"groups": [], "total_cop": 0, "count": 0}
    lines = list(
        cart.lines.prefetch_related(
            Prefetch("product", queryset=product_cards(Product.objects.all()))
        ).order_by("product__cooperative__name", "product__name")
    )
    groups: dict[int, dict] = {}
    total = 0
    for line in lines:
        line.total_cop = line_total_cop(line.product.price_cop, line.quantity)
        total += line.total_cop
        coop = line.product.cooperative
        group = groups.setdefault(coop.pk, {"cooperative": coop, "lines": [], "subtotal_cop": 0})
        group["lines"].append(line)
        group["subtotal_cop"] += line.total_cop
    return {"groups": list(groups.values()), "total_cop": total, "count": len(lines)}


def cart_line_count(cart: Cart | None) -> int:
    return CartLine.objects.filter(cart=cart).count() if cart else 0


def order_for_buyer(*, user, number: str) -> Order | None:
    return (
        Order.objects.for_buyer(user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("cooperative")),
            Prefetch("lines", queryset=OrderLine.objects.order_by("fulfilment_id", "product_name")),
            "events",
            "payment_proofs",
        )
        .filter(number=number)
        .first()
    )


def orders_for_buyer(*, user):
    return Order.objects.for_buyer(user).prefetch_related(
        Prefetch("fulfilments", queryset=Fulfilment.objects.select_related("cooperative"))
    )
