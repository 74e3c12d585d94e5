"""A market's pickup slots as buyers and builders read them: each with the places left.

The slots themselves (`PickupPoint`, `PickupSlot`) are in `cms.models.markets`; how many
orders took each is `SlotUsage`, taken and given back by the market's channel
(`cms.markets.channel`, under the capacity).
"""

from cms.models import MarketEventPage, PickupSlot


def market_slots(event: MarketEventPage) -> list[PickupSlot]:
    slots = list(
        PickupSlot.objects.filter(page=event)
        .select_related("pickup_point", "usage")
        .order_by("starts_at", "pk")
    )
    for slot in slots:
        taken = slot.usage.taken if hasattr(slot, "usage") else 0
        slot.remaining = max(slot.capacity - taken, 0)
    return slots
