"""Reads of the content pages that span relations and own their prefetches.

The markets' own reads (storefront, report, a cooperative's lists) are in `cms.markets`.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from wagtail.models import Page

from catalog import selectors as catalog_selectors
from catalog.models import Product
from cms.models import HomePage, MarketEventPage, PickupSlot, StoryPage, default_language
from cooperatives.models import Cooperative


def home_page(*, home: HomePage, now=None) -> dict:
    """What the home page shows, in its language: open and upcoming markets, the latest
    stories, featured then other verified cooperatives, the newest products.

    The same few queries however many markets, stories, cooperatives and products there
    are (the home page has a query budget); stories come without image renditions.
    """
    now = now or timezone.now()
    # Pages in a private section are left out; the restrictions are read once for both lists.
    private = Page.objects.private_q()
    # Open and upcoming markets in one query (those not closed yet), split here.
    markets = list(
        MarketEventPage.objects.live()
        .exclude(private)
        .for_locale(home.locale_id)
        .filter(closes_at__gt=now)
        .select_related("municipality__department")
        .order_by("opens_at")[: home.MARKETS_READ]
    )
    open_now = sorted((m for m in markets if m.opens_at <= now), key=lambda m: m.closes_at)
    # Text only (no image renditions), to stay within the home page's query budget.
    stories = list(
        StoryPage.objects.live()
        .exclude(private)
        .for_locale(home.locale_id)
        .select_related("cooperative")
        .order_by("-published_on", "-pk")[: home.STORIES_SHOWN]
    )
    # Featured first (as chosen on the original home page, so translations agree), then
    # the other verified cooperatives: one query.
    featured = HomePage.featured_cooperatives.through.objects.filter(
        cooperative=OuterRef("pk"),
        homepage__translation_key=home.translation_key,
        homepage__locale__language_code=default_language(),
    )
    cooperatives = list(
        Cooperative.objects.verified()
        .with_place()
        .annotate(featured=Exists(featured))
        .order_by("-featured", "name")[: home.COOPERATIVES_SHOWN]
    )
    products = list(catalog_selectors.product_cards(Product.objects.available()).order_by("-created_at")[:8])
    return {
        "open_markets": open_now[: home.MARKETS_SHOWN],
        "upcoming_markets": [m for m in markets if m.opens_at > now][: home.MARKETS_SHOWN],
        "stories": stories,
        "cooperatives": cooperatives,
        "products": products,
        # When the lists above stop being true by the clock alone (the page cache's limit);
        # None when every market not closed was read and none opens or closes.
        "clock_changes_at": min(
            [m.opens_at if m.opens_at > now else m.closes_at for m in markets], default=None
        )
        if len(markets) < home.MARKETS_READ
        else "unknown",
    }


def next_market(*, event: MarketEventPage, now=None) -> MarketEventPage | None:
    """Where an old link to a closed market should send the buyer: the market of the same
    place that is open now, or else the soonest to open. The same place is the same
    municipality, or a pickup point the closed market used, or the same Market Builder's
    series (the page's owner). Live and public markets only, in the closed market's locale
    (the template links it in the reader's language). Two queries (Wagtail reads the
    private sections first)."""
    now = now or timezone.now()
    same_place = Q(municipality_id=event.municipality_id) | Q(
        slots__pickup_point__in=PickupSlot.objects.filter(page=event.pk).values("pickup_point")
    )
    if event.owner_id:
        same_place |= Q(owner_id=event.owner_id)
    candidates = (
        MarketEventPage.objects.live()
        .public()
        .filter(same_place, locale_id=event.locale_id, closes_at__gt=now)
        .exclude(pk=event.pk)
        .order_by("opens_at", "pk")
        .distinct()
    )
    return candidates.first()
