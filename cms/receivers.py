from cms import services
from cms.models import MarketEventPage


def market_published(sender, instance, **kwargs):
    """Publishing a market (now or scheduled) updates its live stock and slot counters."""
    if isinstance(instance.specific_deferred, MarketEventPage):
        services.market_stock_sync(event=instance.specific)
