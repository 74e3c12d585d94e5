"""The one check for the Market Builder views in the Wagtail admin.

A Market Builder manages the markets she owns (Wagtail's page owner: whoever created the
page, or the copy); platform staff manage all markets. Anyone else gets 404, so the admin
never confirms that another builder's market exists. Editing the page itself is decided
by Wagtail's page permissions (see migration cms/0004).
"""

from django.http import Http404

from cms.models import MarketEventPage


def can_build_markets(user) -> bool:
    """Staff, or a member of the "Market builders" group (asked once per request's user)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if not hasattr(user, "_minga_is_market_builder"):
        user._minga_is_market_builder = user.is_market_builder()
    return user._minga_is_market_builder


def can_run_market(user, page) -> bool:
    """The same rule as `builder_markets`, for a page already in hand (admin listings)."""
    if not can_build_markets(user):
        return False
    return user.is_staff or user.is_superuser or page.owner_id == user.pk


def builder_markets(user):
    """The markets this user may run from the admin, as a queryset."""
    markets = MarketEventPage.objects.originals()
    if not can_build_markets(user):
        return markets.none()
    if user.is_staff or user.is_superuser:
        return markets
    return markets.filter(owner=user)


def builder_market(user, page_id: int) -> MarketEventPage:
    """The market with this id if the user may run it, else Http404."""
    event = builder_markets(user).select_related("municipality__department").filter(pk=page_id).first()
    if event is None:
        raise Http404
    return event
