"""Wagtail's page signals, connected in `cms.apps`: a market's counters follow what is
published, and the anonymous page cache forgets what a publish or an edit changed."""

from cms.markets import services
from cms.models import MarketEventPage
from market import page_cache


def market_published(sender, instance, **kwargs):
    """Publishing a market (now or scheduled) updates its live stock and slot counters."""
    if isinstance(instance.specific_deferred, MarketEventPage):
        event = instance.specific
        if not event.is_translation:
            services.market_stock_sync(event=event)


def market_translated(sender, source_obj, target_obj, **kwargs):
    """A market's new translation sells through its original: it keeps no copied offers or slots."""
    if isinstance(target_obj, MarketEventPage):
        services.market_translation_strip(page=target_obj)


def pages_changed(sender, **kwargs):
    """A page published or unpublished, a product, photo, category or cooperative saved or
    deleted: every cached page and remembered value is made afresh (`market.page_cache`).
    Sales and stock given back move only what is left (`page_cache.stock_changed`, in
    `orders.channels`, where the counters change)."""
    page_cache.pages_changed()
