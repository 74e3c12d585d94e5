"""The one stock service: take units for an order, give them back once.

Locking rule: the products' rows are locked in primary-key order (a checkout's with its
basket's lines, `orders.services._cart_claim`), then one conditional UPDATE takes every
line's units, inside the caller's transaction, so two checkouts can never oversell and
never deadlock; a market's counters are taken after its products, and given back after
them. Nothing holds a lock while talking to a payment provider.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from orders import channels
from orders.models import Order, OrderLine


def stock_reserve(*, wanted: dict[int, Decimal], channel_key: str = "") -> None:
    """Take `wanted[product_id]` units for every product from the channel, all or nothing.

    The caller must hold a transaction: on a short line this raises
    InsufficientStockError naming every short line, and the caller's rollback undoes
    the units already taken (see CatalogChannel.reserve for the locking rule).
    """
    channels.channel_for(channel_key).reserve(wanted=wanted)


def stock_return(*, lines) -> None:
    """Give back the stock of `lines`, each exactly once (cancel, reject, expire).

    The conditional UPDATE on the line is the guard: a second call, even a concurrent
    one, finds `stock_returned_at` set and returns nothing.
    """
    now = timezone.now()
    claimed = []
    for line in sorted(lines, key=lambda item: item.product_id):
        if OrderLine.objects.filter(pk=line.pk, stock_returned_at__isnull=True).update(stock_returned_at=now):
            claimed.append(line)
    if not claimed:
        return
    keys = dict(
        Order.objects.filter(pk__in={line.order_id for line in claimed}).values_list("pk", "channel_key")
    )
    by_key = defaultdict(list)
    for line in claimed:
        by_key[keys[line.order_id]].append(line)
    for key, key_lines in by_key.items():
        channels.channel_for(key).release(lines=key_lines)
