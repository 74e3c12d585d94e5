"""A market's pickup slots as buyers and builders read them: each with the places left.

The slots themselves (`PickupPoint`, `PickupSlot`) are in `cms.models.markets`; how many
orders took each is `SlotUsage`, taken and given back by the market's channel
(`cms.markets.channel`, under the capacity).
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cms.models import MarketEventPage, PickupSlot
from cms.models.markets import restriction_may_apply
from market.dates import short_date

# What a slot is shown and booked with: its place (and the place's municipality, which an
# order's handover names) and its usage.
SLOT_JOINS = ("pickup_point__municipality", "usage")


def market_slots(event: MarketEventPage) -> list[PickupSlot]:
    """The market's slots in time order, each with `remaining`, its place and its usage:
    one query."""
    return _counted(PickupSlot.objects.filter(page=event).select_related(*SLOT_JOINS))


def live_market_with_slots(page_id: int) -> tuple[MarketEventPage | None, list[PickupSlot]]:
    """The live market page `page_id` and its slots (as `market_slots` reads them) in one
    query, for its checkout: each slot row carries the page, with its place, its locale and
    whether a view restriction may apply to it (`MarketEventQuerySet.restrictions_known`).

    (None, []) when the page has no slot of its own (a market that only delivers, or a
    translation, which sells through its original's slots) or is not live: the caller then
    reads the page, and the slots, on their own.
    """
    slots = _counted(
        PickupSlot.objects.filter(page_id=page_id, page__live=True)
        .select_related("page__municipality", "page__locale", *SLOT_JOINS)
        .defer("page__intro")  # the checkout does not show it; one copy per slot row otherwise
        .annotate(page_restriction_may_apply=restriction_may_apply("page__path"))
    )
    if not slots:
        return None, []
    page = slots[0].page
    page.restriction_may_apply = slots[0].page_restriction_may_apply
    for slot in slots:
        slot.page = page
    return page, slots


def _counted(slots) -> list[PickupSlot]:
    """`slots` in time order, each with `remaining`: its capacity less the orders that took it."""
    slots = list(slots.order_by("starts_at", "pk"))
    for slot in slots:
        taken = slot.usage.taken if hasattr(slot, "usage") else 0
        slot.remaining = max(slot.capacity - taken, 0)
    return slots


def slot_label(slot) -> str:
    """A pickup slot as a buyer reads it; `slot.remaining` comes from `market_slots`."""
    return _("%(place)s · %(start)s–%(end)s (%(left)s places left)") % {
        "place": slot.pickup_point.name,
        "start": short_date(slot.starts_at, weekday=True, time=True),
        "end": date_format(timezone.localtime(slot.ends_at), "H:i"),
        "left": slot.remaining,
    }
