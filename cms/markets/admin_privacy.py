"""A Market Builder sees only her own markets in the Wagtail admin.

Wagtail's page permissions let a builder edit the markets she owns; its listings, search,
chooser, history, revisions and bulk actions would still show her the titles, drafts and
owners of other builders' markets. Here the explorer's and the chooser's querysets leave
those markets out (hooks in `cms.wagtail_hooks`), and every admin address of one of them
(`/cms/pages/<id>/…`, bulk actions naming it) answers 404, as the builder views do
(`cms.markets.permissions`). Wagtail's page search has no hook to narrow it, so it sends a
builder to her Markets list, which lists only hers. Staff see everything.
"""

import re

from django.http import Http404
from django.shortcuts import redirect

from cms.markets.permissions import can_build_markets
from cms.models import MarketEventPage

_PAGE_URL = re.compile(r"^/cms/pages/(\d+)/")
_BULK_URL = re.compile(r"^/cms/bulk/wagtailcore/page/")
_SEARCH_URL = "/cms/pages/search/"


def _restricted(user) -> bool:
    """A builder who is not staff: the one whose view of the tree is narrowed."""
    return bool(
        user.is_authenticated and not (user.is_staff or user.is_superuser) and can_build_markets(user)
    )


def others_markets(user):
    """Ids-queryset of markets (and their translations) that belong to someone else."""
    return MarketEventPage.objects.exclude(owner=user).values("pk")


def pages_without_others_markets(pages, user):
    """`pages` (a page queryset) without other builders' markets, for a restricted builder."""
    if not _restricted(user):
        return pages
    return pages.exclude(pk__in=others_markets(user))


class BuilderPrivacyMiddleware:
    """404 for any admin address of a market the builder does not own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/cms/") and _restricted(request.user):
            if path.startswith(_SEARCH_URL):
                return redirect("cms_market_list")
            ids = []
            if match := _PAGE_URL.match(path):
                ids.append(int(match[1]))
            elif _BULK_URL.match(path):
                ids.extend(int(value) for value in request.GET.getlist("id") if value.isdigit())
            if ids and MarketEventPage.objects.filter(pk__in=ids).exclude(owner=request.user).exists():
                raise Http404
        return self.get_response(request)
