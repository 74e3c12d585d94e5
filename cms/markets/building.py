"""Building a market in a few steps: what the Market Builder's quick tools would add, worked
out before anything is written (`cms.markets.services` writes it).

- Every available product of the market's participating, verified cooperatives as an offer,
  at the catalogue price less an optional discount (`offers_for_cooperatives`).
- Pickup slots at one place on one day, from a start to an end time, every N minutes, with
  the same capacity each (`slot_times`), leaving out those that would overlap a slot the
  market already has at that place (`without_overlaps`): run twice, it adds nothing twice.

Each check raises `MarketError` with a sentence the builder can act on.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Product
from cms.markets.exceptions import MarketError
from cms.models import MarketOffer, PickupSlot
from cooperatives.models import VerificationStatus

MAX_DISCOUNT = Decimal("90")
# A made-to-order product has no stock to offer: the builder changes this, and each
# cooperative confirms (or lowers) its quantities before the market opens.
MADE_TO_ORDER_QUANTITY = Decimal("20")
MIN_SLOT_MINUTES = 10
MAX_SLOTS = 48


def discount_check(discount) -> Decimal:
    """The discount as a Decimal between 0 and 90 (per cent), else MarketError."""
    try:
        value = Decimal(str(discount if discount not in (None, "") else 0))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value > MAX_DISCOUNT:
        raise MarketError(
            _("The discount must be a percentage between 0 and %(max)s.") % {"max": int(MAX_DISCOUNT)}
        )
    return value


def discounted_price(price_cop: int, discount: Decimal) -> int:
    """The catalogue price less `discount` per cent, in whole pesos (half up), at least 1."""
    price = (Decimal(price_cop) * (100 - discount) / 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return max(int(price), 1)


def offerable_products(cooperatives):
    """Available products of the verified ones among `cooperatives`, by cooperative and name."""
    verified = [c.pk for c in cooperatives if c.verification_status == VerificationStatus.VERIFIED]
    return (
        Product.objects.available()
        .filter(cooperative_id__in=verified)
        .select_related("cooperative")
        .order_by("cooperative__name", "name", "pk")
    )


def offers_for_cooperatives(cooperatives, *, discount, offered_product_ids=()) -> list[MarketOffer]:
    """New (unsaved) offers: one per available product of the participating, verified
    cooperatives not offered yet, at the catalogue price less `discount` per cent, for the
    quantity in stock (made to order: `MADE_TO_ORDER_QUANTITY`)."""
    discount = discount_check(discount)
    offered = set(offered_product_ids)
    return [
        MarketOffer(
            product=product,
            price_cop=discounted_price(product.price_cop, discount),
            quantity=product.stock if product.stock is not None else MADE_TO_ORDER_QUANTITY,
        )
        for product in offerable_products(cooperatives)
        if product.pk not in offered
    ]


@dataclass(frozen=True)
class SlotPlan:
    """Slots at one pickup point on one day: from `start` to `end`, every `every` minutes."""

    day: date
    start: time
    end: time
    every: int
    capacity: int


def slot_times(plan: SlotPlan, *, first_day: date, last_day: date) -> list[tuple[datetime, datetime]]:
    """(starts_at, ends_at) of each slot of `plan`, in Bogotá time. MarketError when the day
    is not a market day, the end is not after the start, the interval is too short or does
    not fit, the capacity is below 1, or it would make more than `MAX_SLOTS` slots."""
    if not first_day <= plan.day <= last_day:
        if first_day == last_day:
            raise MarketError(_("Slots must be on the market day."))
        raise MarketError(_("Slots must be on one of the market days."))
    if plan.end <= plan.start:
        raise MarketError(_("The last slot must end after the first one starts."))
    if plan.every < MIN_SLOT_MINUTES:
        raise MarketError(_("Each slot lasts at least %(minutes)s minutes.") % {"minutes": MIN_SLOT_MINUTES})
    if plan.capacity < 1:
        raise MarketError(_("Each slot takes at least one buyer."))
    start = timezone.make_aware(datetime.combine(plan.day, plan.start))
    end = timezone.make_aware(datetime.combine(plan.day, plan.end))
    step = timedelta(minutes=plan.every)
    times = []
    while start + step <= end:
        times.append((start, start + step))
        start += step
    if not times:
        raise MarketError(
            _("No slot of %(minutes)s minutes fits between these times.") % {"minutes": plan.every}
        )
    if len(times) > MAX_SLOTS:
        raise MarketError(_("That makes more than %(max)s slots: choose longer slots.") % {"max": MAX_SLOTS})
    return times


def without_overlaps(point, times, existing, *, capacity: int) -> tuple[list[PickupSlot], int]:
    """New (unsaved) slots at `point` for `times`, `capacity` buyers each, leaving out any
    that overlaps a slot of `existing` at the same point: (slots, how many were left out)."""
    taken = [(s.starts_at, s.ends_at) for s in existing if s.pickup_point_id == point.pk]
    slots, skipped = [], 0
    for starts_at, ends_at in times:
        if any(starts_at < other_end and other_start < ends_at for other_start, other_end in taken):
            skipped += 1
            continue
        taken.append((starts_at, ends_at))
        slots.append(PickupSlot(pickup_point=point, starts_at=starts_at, ends_at=ends_at, capacity=capacity))
    return slots, skipped
