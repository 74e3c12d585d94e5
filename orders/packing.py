"""A cooperative's packing list for one order: what to pack, for whom, and how it is handed
over. Read once, for the page and the PDF (`orders.receipt_pdf.packing_list_pdf`) alike."""

from dataclasses import dataclass
from datetime import datetime

from cooperatives.models import Cooperative
from orders.handover import Handover, handover_of
from orders.models import Fulfilment, LineStatus, Order, OrderLine
from orders.receipts import local_time
from orders.selectors import buyer_label


@dataclass
class PackingList:
    cooperative: Cooperative
    order: Order
    fulfilment: Fulfilment
    buyer: str
    phone: str
    placed_at: datetime  # in Bogotá
    status: str
    handover: Handover  # this cooperative's pickup place and window, or the delivery
    lines: list[OrderLine]  # the lines still to deliver (rejected ones are left out)

    @property
    def filename(self) -> str:
        return f"empaque-{self.order.number}-{self.cooperative.slug}.pdf"


def packing_list(fulfilment: Fulfilment, *, cooperative: Cooperative) -> PackingList:
    """`fulfilment` of `cooperative` as `orders.selectors.cooperative_fulfilment` returns it."""
    order = fulfilment.order
    return PackingList(
        cooperative=cooperative,
        order=order,
        fulfilment=fulfilment,
        buyer=buyer_label(order),
        phone=str(order.buyer.phone or ""),
        placed_at=local_time(order.placed_at),
        status=fulfilment.get_status_display(),
        handover=handover_of(order).for_cooperative(cooperative.pk),
        lines=[line for line in fulfilment.lines.all() if line.status != LineStatus.REJECTED],
    )
