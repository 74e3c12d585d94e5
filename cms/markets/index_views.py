"""The header's "Markets" link: `/ir/mercados/` sends the visitor to the markets list.

Every page's header links here rather than to the `MarketIndexPage` itself, so that no page
reads the index's address to draw its header (not even once per publish: the anonymous page
cache keeps pages, and a page must not cost a query more for a link few follow). The one
who follows it pays one lookup, kept in the page cache until the next `pages_changed()`,
and a redirect. Under `ir/`, a prefix no page of the site root takes.
"""

from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from market import page_cache
from market.i18n import url_in_language


@require_safe
def markets(request):
    language = get_language()
    url = page_cache.remembered(f"markets-url:{language}", lambda: markets_url(language))
    if not url:
        raise Http404
    return redirect(url)


def markets_url(language: str) -> str:
    """The markets list in `language`: its translation when there is one, else the Spanish
    one under her language's prefix (the home page serves an untranslated page from the
    original tree); "" when the site has none."""
    from cms.models import MarketIndexPage
    from cms.models.pages import default_language

    wanted = [language, default_language()]
    indexes = {
        index.locale.language_code: index
        for index in MarketIndexPage.objects.live()
        .filter(locale__language_code__in=wanted)
        .select_related("locale")
        .order_by("-path")  # the first index of a language wins
    }
    index = indexes.get(language) or indexes.get(wanted[1])
    return url_in_language(index.url, language) if index is not None and index.url else ""
