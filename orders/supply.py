"""Which producer families supplied each order line, and how much each.

A cooperative records it on the order's page when it confirms or delivers (one form per
line). Until it does, a line whose product has exactly one producer is that producer's
(`default_shares`), so the common case needs no tap at all; one tap splits a line evenly
among the product's producers. Reports read the records with `supply_shares`.

The value reaching a family is never stored: it is the line's total (delivered quantity
times price, `OrderLine.total_cop`) times the share of the quantity the family supplied.
"""

from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from market.units import QuantityError, format_quantity, parse_quantity, unit_name
from orders.exceptions import SupplyError
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_ENDED,
    LineStatus,
    LineSupply,
    OrderLine,
)

QUANTITY_PLACES = Decimal("0.001")


def line_may_record_supply(line: OrderLine) -> bool:
    """A line counts as a sale, or may still: not rejected, its part and order alive.
    Reads `line.fulfilment` and `line.order`."""
    return (
        line.status != LineStatus.REJECTED
        and line.fulfilment.status not in FULFILMENT_ENDED
        and line.order.status not in ORDER_ENDED
    )


def even_split(total: Decimal, count: int) -> list[Decimal]:
    """`total` in `count` parts of whole thousandths, the remainder on the first ones."""
    if count <= 0:
        return []
    base = (total / count).quantize(QUANTITY_PLACES, rounding=ROUND_DOWN)
    parts = [base] * count
    left = total - base * count
    i = 0
    while left > 0:
        parts[i % count] += QUANTITY_PLACES
        left -= QUANTITY_PLACES
        i += 1
    return parts


def line_supply_record(*, line: OrderLine, shares: dict[int, str], actor=None) -> list[LineSupply]:
    """Record who supplied `line`: `shares` maps a producer id to the quantity she supplied
    (as typed: "2,5"; empty or 0 means none). Replaces what was recorded before.

    The producers must be active families of the line's cooperative; the quantities must add
    up to the line's quantity (delivered, else ordered). Raises SupplyError, writing nothing.
    Posting the same form twice leaves the same records.
    """
    from cooperatives.models import Producer

    with transaction.atomic():
        current = (
            OrderLine.objects.select_for_update()
            .select_related("fulfilment", "order")
            .filter(pk=line.pk)
            .first()
        )
        if current is None or not line_may_record_supply(current):
            raise SupplyError(_("This line no longer counts as a sale: nothing to record."))
        wanted = {}
        for producer_id, raw in shares.items():
            if str(raw or "").strip() in ("", "0", "0,0", "0.0"):
                continue
            if not str(producer_id).isdigit():
                raise SupplyError(_("Choose families of your own cooperative."))
            try:
                wanted[int(producer_id)] = parse_quantity(raw)
            except QuantityError as error:
                raise SupplyError(error.message) from None
        if not wanted:
            raise SupplyError(_("Enter how much at least one family supplied."))
        families = set(
            Producer.objects.filter(
                pk__in=list(wanted), cooperative_id=current.fulfilment.cooperative_id, is_active=True
            ).values_list("pk", flat=True)
        )
        if families != set(wanted):
            raise SupplyError(_("Choose families of your own cooperative."))
        total = sum(wanted.values(), Decimal("0"))
        expected = current.billed_quantity
        if total != expected:
            raise SupplyError(
                _("The families' quantities add up to %(total)s; the line has %(expected)s %(unit)s.")
                % {
                    "total": format_quantity(total),
                    "expected": format_quantity(expected),
                    "unit": unit_name(current.unit, expected),
                }
            )
        LineSupply.objects.filter(line=current).delete()
        return LineSupply.objects.bulk_create(
            [
                LineSupply(line=current, producer_id=pk, quantity=quantity, recorded_by=actor)
                for pk, quantity in sorted(wanted.items())
            ]
        )


def line_supply_split_evenly(*, line: OrderLine, producer_ids: list[int], actor=None) -> list[LineSupply]:
    """One tap: the line's quantity split evenly among `producer_ids` (the product's families)."""
    ids = sorted(set(producer_ids))
    if not ids:
        raise SupplyError(_("This product has no families yet: add them on the product's page."))
    parts = even_split(line.billed_quantity, len(ids))
    return line_supply_record(
        line=line, shares={pk: str(q) for pk, q in zip(ids, parts, strict=True) if q}, actor=actor
    )


def value_shares(total_cop: int, quantities: list[Decimal]) -> list[int]:
    """`total_cop` shared in proportion to `quantities`, in whole pesos that add up exactly
    (largest remainders get the odd pesos)."""
    whole = sum(quantities, Decimal("0"))
    if not quantities or whole <= 0:
        return [0] * len(quantities)
    exact = [Decimal(total_cop) * q / whole for q in quantities]
    floors = [int(x) for x in exact]
    left = total_cop - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for i in order[:left]:
        floors[i] += 1
    return floors


def fulfilment_supply_rows(fulfilment) -> list:
    """For the order's page: each line of `fulfilment` with `supply_rows`, one per active
    family of the cooperative (the product's own families first), each with the quantity
    recorded, or the default (the product's only family supplied it all); `supply_recorded`
    says whether the cooperative recorded it. Three queries whatever the number of lines."""
    from cooperatives.models import Producer

    lines = list(
        fulfilment.lines.all().prefetch_related("supplies", "product__producers").select_related("order")
    )
    families = list(Producer.objects.filter(cooperative_id=fulfilment.cooperative_id, is_active=True))
    for line in lines:
        line.fulfilment = fulfilment
        recorded = {s.producer_id: s.quantity for s in line.supplies.all()}
        own = [p.pk for p in line.product.producers.all() if p.is_active]
        line.supply_recorded = bool(recorded)
        line.supply_families = own
        if not recorded and len(own) == 1:
            recorded = {own[0]: line.billed_quantity}
        line.supply_rows = sorted(
            ({"producer": p, "quantity": recorded.get(p.pk), "own": p.pk in own} for p in families),
            key=lambda row: (not row["own"], row["producer"].name),
        )
        line.supply_editable = line_may_record_supply(line)
    return lines
