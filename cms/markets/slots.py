"""A market's pickup slots as buyers and builders read them: each with the places left.

The slots themselves (`PickupPoint`, `PickupSlot`) are in `cms.models.markets`; how many
orders took each is `SlotUsage`, taken and given back by the market's channel
(`cms.markets.channel`, under the capacity).
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cms.models import MarketEventPage, PickupSlot


def market_slots(event: MarketEventPage) -> list[PickupSlot]:
    """The market's slots in time order, each with `remaining`, its place (and the place's
    municipality, which an order's handover names) and its usage: one query."""
    slots = list(
        PickupSlot.objects.filter(page=event)
        .select_related("pickup_point__municipality", "usage")
        .order_by("starts_at", "pk")
    )
    for slot in slots:
        taken = slot.usage.taken if hasattr(slot, "usage") else 0
        slot.remaining = max(slot.capacity - taken, 0)
    return slots


def slot_label(slot) -> str:
    """A pickup slot as a buyer reads it; `slot.remaining` comes from `market_slots`."""
    return _("%(place)s · %(start)s–%(end)s (%(left)s places left)") % {
        "place": slot.pickup_point.name,
        "start": date_format(timezone.localtime(slot.starts_at), "D j M H:i"),
        "end": date_format(timezone.localtime(slot.ends_at), "H:i"),
        "left": slot.remaining,
    }
