"""What the buyer's cart and checkout pages do with a posted form, shared by the
catalogue's views (`orders.views`) and a market's storefront
(`cms.markets.storefront_views`).

These are not views: each takes the request for its user, session and messages, calls
the service, and tells the buyer what happened; the calling view decides where she goes.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from market.units import format_quantity, unit_name
from orders import services
from orders.exceptions import AlreadyPlacedError, CartError, CheckoutError, InsufficientStockError
from orders.forms import CartLineForm
from orders.models import DeliveryMethod, Order, OrderStatus, PaymentMethod


def cart_line_change(request, *, add: bool, in_cart: str, channel=None, tag: str = "") -> bool:
    """Set the posted line's quantity in the visitor's cart for `channel` (the catalogue's
    by default), or with `add` increase it.

    `in_cart` is the message shown when it worked, with `%(name)s`, `%(quantity)s` and
    `%(unit)s`; a refusal (stock, step, a market's clock...) is shown as an error. Returns
    False when the form itself is invalid: nothing was changed. `tag` goes on the message
    (`extra_tags`), so a page can show it next to the product rather than at the top.
    """
    form = CartLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a quantity."), extra_tags=tag)
        return False
    channel_key = channel.key if channel is not None else ""
    cart = services.cart_get(user=request.user, session=request.session, create=True, channel_key=channel_key)
    try:
        line = services.cart_set_quantity(
            cart=cart,
            product_id=form.cleaned_data["product"],
            raw_quantity=form.cleaned_data["quantity"],
            add=add,
            channel=channel,
        )
    except CartError as error:
        messages.error(request, error.message, extra_tags=tag)
    else:
        messages.success(
            request,
            in_cart
            % {
                "name": line.product.name,
                "quantity": format_quantity(line.quantity),
                "unit": unit_name(line.product.unit, line.quantity),
            },
            extra_tags=tag,
        )
    return True


def checkout_submit(request, *, cart, form, channel=None):
    """Place the order a valid checkout form describes (catalogue or market), through the
    cart's `channel` when the caller has it; `cart=None`: her basket of `channel`, read in
    the order's transaction only.

    Returns (redirect, []) on success; (None, short lines) with the reason on the form
    when the order is refused, in which case nothing was written.
    """
    try:
        order = services.order_place(buyer=request.user, cart=cart, choice=form.choice(), channel=channel)
    except AlreadyPlacedError as error:
        return already_placed(request, error.order), []
    except InsufficientStockError as error:
        form.add_error(None, _("Some products do not have enough stock. Nothing was reserved."))
        return None, error.short_lines
    except CheckoutError as error:
        form.add_error(None, error.message)
        return None, []
    if order.payment_method == PaymentMethod.CARD:
        return redirect("orders:pay_card", order.number), []
    messages.success(request, _("Thank you! Your order %(number)s was placed.") % {"number": order.number})
    return redirect("orders:detail", order.number), []


def already_placed(request, order: Order):
    """A second submit of a basket or form: to the order the first one made, saying so."""
    messages.info(
        request,
        _("Your order %(number)s was already placed; we did not place it twice.") % {"number": order.number},
    )
    if order.payment_method == PaymentMethod.CARD and order.status == OrderStatus.AWAITING_PAYMENT:
        return redirect("orders:pay_card", order.number)
    return redirect("orders:detail", order.number)


def repeat_submit(request, cart):
    """A checkout posted again after its basket became an order (the cart is empty now):
    the response that lands her on that order, or None."""
    if request.method != "POST" or cart is None:
        return None
    order = services.cart_recent_order(cart=cart, buyer=request.user)
    return already_placed(request, order) if order is not None else None


@dataclass(frozen=True)
class DeliveryOption:
    """Pickup or delivery for this basket, with its fee and total, or why it is not possible."""

    method: str
    label: str
    fee_cop: int = 0
    total_cop: int = 0
    problem: str = ""


def checkout_rules(*, channel, summary: dict) -> dict:
    """What the checkout page says before she submits, read with the very rules that
    `orders.services.order_place` applies (`channel.delivery_fees`): the channel's rules
    (minimums, who delivers, where to pick up), and for pickup and for delivery the fee and
    the total, or why it is not possible. No query: the cart summary holds what it reads."""
    subtotals = {group["cooperative"]: group["subtotal_cop"] for group in summary["groups"]}
    delivery_offered = channel.delivery_offered(subtotals=subtotals)
    options = []
    for method, label in DeliveryMethod.choices:
        if method == DeliveryMethod.DELIVERY and not delivery_offered:
            continue
        try:
            fees, order_fee = channel.delivery_fees(delivery_method=method, subtotals=subtotals)
        except CartError as error:
            options.append(DeliveryOption(method=method, label=str(label), problem=error.message))
            continue
        fee = sum(fees.values()) + order_fee
        options.append(
            DeliveryOption(method=method, label=str(label), fee_cop=fee, total_cop=summary["total_cop"] + fee)
        )
    return {
        "rules": channel.checkout_rules(subtotals=subtotals),
        "options": options,
        "delivery_offered": delivery_offered,
    }
