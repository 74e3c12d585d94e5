"""The cms app's models, one module per subject; every model is re-exported here because
Django, migrations and the rest of the code name them `cms.models.<Model>`.

- `pages`: what every page type shares (`default_language`, `LocalizedQuerySet`,
  `BodyBlock`), `HomePage`, `StandardPage`.
- `stories`: `StoryIndexPage`, `StoryPage`.
- `markets`: `MarketIndexPage`, `MarketEventPage` (the market's clock), `MarketOffer`,
  `PickupPoint`, `PickupSlot`, and the counters and links outside page revisions:
  `MarketStock`, `SlotUsage`, `MarketClosing`, `MarketOrder`; who asked to be told when
  a market opens (`MarketWatch`) and the cooperatives asked to confirm (`MarketConfirmAsk`).
"""

from cms.models.markets import (
    MarketClosing,
    MarketConfirmAsk,
    MarketEventPage,
    MarketEventPageManager,
    MarketEventQuerySet,
    MarketIndexPage,
    MarketOffer,
    MarketOrder,
    MarketState,
    MarketStock,
    MarketWatch,
    PickupPoint,
    PickupSlot,
    SlotUsage,
    verified_participants,
)
from cms.models.pages import BodyBlock, HomePage, LocalizedQuerySet, StandardPage, default_language
from cms.models.stories import StoryIndexPage, StoryPage, StoryQuerySet

__all__ = [
    "BodyBlock",
    "HomePage",
    "LocalizedQuerySet",
    "MarketClosing",
    "MarketConfirmAsk",
    "MarketEventPage",
    "MarketEventPageManager",
    "MarketEventQuerySet",
    "MarketIndexPage",
    "MarketOffer",
    "MarketOrder",
    "MarketState",
    "MarketStock",
    "MarketWatch",
    "PickupPoint",
    "PickupSlot",
    "SlotUsage",
    "StandardPage",
    "StoryIndexPage",
    "StoryPage",
    "StoryQuerySet",
    "default_language",
    "verified_participants",
]
