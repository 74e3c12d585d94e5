"""Orders built the way buyers build them: cart service, then `order_place`.

Nothing here writes an `Order` row directly, so stock, totals, fulfilments and the
placement log are exactly what the app produces. Reuse these in any orders test.
"""

import itertools

from market.models import BuyerOrganization, Municipality, OrganizationMember, OrganizationStatus
from market.nit import nit_check_digit
from orders import services
from orders.models import Order

_nit_bodies = itertools.count(900_100_000)


def make_organization(*, member=None, credit_days: int = 0, credit_limit_cop: int = 0, **fields):
    """An approved buyer organisation with a valid NIT; `member` may order for it."""
    body = str(next(_nit_bodies))
    defaults = {
        "kind": "hotel",
        "legal_name": f"Hotel Sabor {body[-3:]} SAS",
        "nit": f"{body}-{nit_check_digit(body)}",
        "billing_address": "Calle 10 # 5-20, Medellín",
        "municipality": Municipality.objects.get(code="05040"),
        "email": f"compras{body[-3:]}@example.org",
        "status": OrganizationStatus.APPROVED,
        "credit_days": credit_days,
        "credit_limit_cop": credit_limit_cop,
    }
    defaults.update(fields)
    organization = BuyerOrganization.objects.create(**defaults)
    if member is not None:
        OrganizationMember.objects.create(organization=organization, user=member)
    return organization


def fill_cart(buyer, items):
    """Put `items` ([(product, quantity), ...]) in the buyer's cart through the cart service."""
    cart = services.cart_get(user=buyer, create=True)
    for product, quantity in items:
        services.cart_set_quantity(cart=cart, product_id=product.pk, raw_quantity=str(quantity))
    return cart


def place_order(
    buyer,
    items,
    *,
    payment_method: str = "cash",
    delivery_method: str = "pickup",
    organization=None,
    delivery_address: str = "",
    purchase_order_number: str = "",
    notes: str = "",
) -> Order:
    """Fill the cart with `items` ([(product, quantity), ...]) and place the order.

    A delivery order gets an address unless one is given. Placement e-mails are queued
    on commit: wrap the call in `django_capture_on_commit_callbacks(execute=True)` to send them.
    """
    cart = fill_cart(buyer, items)
    if delivery_method == "delivery" and not delivery_address:
        delivery_address = "Carrera 43A # 1-50, Medellín"
    choice = services.CheckoutChoice(
        delivery_method=delivery_method,
        payment_method=payment_method,
        organization=organization,
        delivery_address=delivery_address,
        purchase_order_number=purchase_order_number,
        notes=notes,
    )
    return services.order_place(buyer=buyer, cart=cart, choice=choice)


def pay_every_part(order: Order, actor=None) -> Order:
    """Each cooperative of `order` records the offline payment of its own part, as its
    managers do with "Payment received"; the order is PAID after the last one."""
    from orders.payments import offline

    for fulfilment in order.fulfilments.exclude(status__in=["rejected", "cancelled"]).order_by("pk"):
        offline.fulfilment_mark_paid(fulfilment=fulfilment, actor=actor)
    order.refresh_from_db()
    return order
