"""The per-cooperative statement: what a cooperative sold in a period, what was collected,
by which method, and what Minga owes it; as a page and as CSV rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperatives.models import Cooperative
from orders.models import FULFILMENT_ENDED, ORDER_NOT_PLACED, Fulfilment, PaymentMethod, PaymentStatus
from orders.receipts import local_time

# Where the money of each method lands: the cooperative's own hands, or Minga's account.
COLLECTED_BY_PLATFORM = (PaymentMethod.CARD, PaymentMethod.TRANSFER, PaymentMethod.INVOICE)


@dataclass
class MethodRow:
    method: str
    label: str
    count: int = 0
    sold_cop: int = 0
    collected_cop: int = 0
    outstanding_cop: int = 0
    owed_cop: int = 0
    collected_by_platform: bool = False


@dataclass
class Statement:
    cooperative: Cooperative
    start: date
    end: date
    rows: list[MethodRow]
    fulfilments: list[Fulfilment]
    count: int
    sold_cop: int
    collected_cop: int
    outstanding_cop: int
    owed_cop: int


def month_bounds(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    next_month = (start + timedelta(days=32)).replace(day=1)
    return start, next_month - timedelta(days=1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def statement_build(*, cooperative: Cooperative, start: date, end: date) -> Statement:
    """What `cooperative` sold between the Bogotá dates `start` and `end` (both included),
    what was collected, by which method, and what Minga owes it.

    The rule, per payment method of the orders its parts belong to:

    - sold: the totals (lines as delivered, plus its delivery fee) of its fulfilments in
      orders placed in the period, leaving out rejected and cancelled parts and orders
      that are cancelled, expired or still waiting for a card payment;
    - collected: the part of those sales that is paid: for cash, transfer and invoice, the
      parts whose payment the cooperative recorded (each cooperative records its own part,
      whatever the other parts of the order); for a card, the parts of orders whose
      payment was captured. Refunded or failed payments are not collected; an authorised
      card is not collected until it is captured;
    - owed by Minga: what Minga collected for the cooperative. Cash is handed to the
      cooperative itself at delivery or pickup, so it is collected but never owed. Card
      payments (Stripe), bank transfers (to Minga's account) and invoices on credit (the
      buyer pays Minga) are owed to the cooperative once they are paid.

    Two queries whatever the number of orders: one aggregate grouped by method and
    whether the part is paid, one list of the parts for the printable page.
    """
    fulfilments = _sales(cooperative=cooperative, start=start, end=end)
    rows = _method_rows(fulfilments)
    return Statement(
        cooperative=cooperative,
        start=start,
        end=end,
        rows=rows,
        fulfilments=_listed(fulfilments),
        count=sum(r.count for r in rows),
        sold_cop=sum(r.sold_cop for r in rows),
        collected_cop=sum(r.collected_cop for r in rows),
        outstanding_cop=sum(r.outstanding_cop for r in rows),
        owed_cop=sum(r.owed_cop for r in rows),
    )


def _sales(*, cooperative: Cooperative, start: date, end: date) -> QuerySet[Fulfilment]:
    """The cooperative's parts that count as sales in the period: the order is placed (a card
    order waiting for its payment is not a sale yet) and the part is alive."""
    return (
        Fulfilment.objects.filter(
            cooperative=cooperative,
            order__placed_at__gte=_day_start(start),
            order__placed_at__lt=_day_start(end + timedelta(days=1)),
        )
        .exclude(status__in=FULFILMENT_ENDED)
        .exclude(order__status__in=ORDER_NOT_PLACED)
    )


def _method_rows(fulfilments: QuerySet[Fulfilment]) -> list[MethodRow]:
    """One row per payment method, from one aggregate grouped by method and paid or not."""
    grouped = (
        fulfilments.order_by()
        .annotate(
            collected=Case(
                When(
                    Q(paid_at__isnull=False) | Q(order__payment_status=PaymentStatus.PAID),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values("order__payment_method", "collected")
        .annotate(total=Sum("total_cop"), count=Count("id"))
    )
    rows = {method: MethodRow(method=method, label=str(label)) for method, label in PaymentMethod.choices}
    for group in grouped:
        row = rows[group["order__payment_method"]]
        row.count += group["count"]
        row.sold_cop += group["total"] or 0
        if group["collected"]:
            row.collected_cop += group["total"] or 0
    for row in rows.values():
        row.outstanding_cop = row.sold_cop - row.collected_cop
        row.collected_by_platform = row.method in COLLECTED_BY_PLATFORM
        row.owed_cop = row.collected_cop if row.collected_by_platform else 0
    return list(rows.values())


def _listed(fulfilments: QuerySet[Fulfilment]) -> list[Fulfilment]:
    """The parts for the printable page, oldest first, each with its Bogotá placing time."""
    listed = list(fulfilments.select_related("order__organization").order_by("order__placed_at", "order__id"))
    for item in listed:
        item.placed_at_local = local_time(item.order.placed_at)
    return listed


def statement_csv(statement: Statement) -> tuple[str, list, list[list]]:
    """The statement for a spreadsheet: its file name, header and rows (the total last)."""
    filename = f"estado-{statement.cooperative.slug}-{statement.start:%Y-%m-%d}-{statement.end:%Y-%m-%d}.csv"
    header = [
        _("Payment method"),
        _("Orders"),
        _("Sold"),
        _("Collected"),
        _("Not yet collected"),
        _("Owed by Minga"),
    ]
    rows = [
        [row.label, row.count, row.sold_cop, row.collected_cop, row.outstanding_cop, row.owed_cop]
        for row in statement.rows
    ]
    rows.append(
        [
            _("Total"),
            statement.count,
            statement.sold_cop,
            statement.collected_cop,
            statement.outstanding_cop,
            statement.owed_cop,
        ]
    )
    return filename, header, rows
