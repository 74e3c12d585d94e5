"""An order's totals after a change: delivered weights, rejected lines and parts."""

from market.money import line_total_cop
from orders import channels
from orders.models import FULFILMENT_ENDED, Fulfilment, Order, OrderLine


def order_recompute_totals(*, order: Order) -> Order:
    """Totals follow delivered weights and rejected lines. The one place totals are summed."""
    fulfilments = list(order.fulfilments.prefetch_related("lines").select_related("cooperative"))
    subtotals, live = {}, {}
    for fulfilment in fulfilments:
        subtotal = 0
        for line in fulfilment.lines.all():
            total = line_total_cop(line.unit_price_cop, line.billed_quantity)
            if total != line.total_cop:
                OrderLine.objects.filter(pk=line.pk).update(total_cop=total)
            subtotal += total
        subtotals[fulfilment] = subtotal
        if fulfilment.status not in FULFILMENT_ENDED:
            live[fulfilment.cooperative] = subtotal
    fees, order_fee = channels.channel_for(order.channel_key).fees_after_change(
        delivery_method=order.delivery_method, subtotals=live
    )
    for fulfilment, subtotal in subtotals.items():
        fee = fees.get(fulfilment.cooperative_id, 0)
        Fulfilment.objects.filter(pk=fulfilment.pk).update(
            subtotal_cop=subtotal, delivery_fee_cop=fee, total_cop=subtotal + fee
        )
    order_subtotal = sum(subtotals.values())
    order_fees = sum(fees.values()) + order_fee
    Order.objects.filter(pk=order.pk).update(
        subtotal_cop=order_subtotal, delivery_fee_cop=order_fees, total_cop=order_subtotal + order_fees
    )
    order.subtotal_cop, order.delivery_fee_cop = order_subtotal, order_fees
    order.total_cop = order_subtotal + order_fees
    return order
