"""Which Wagtail site a request is for, without asking the database on every request.

Wagtail finds the site of each request with a query (hostname, port, default site), then
reads its root page's specific row (the home page) with another: two of the few queries of
every page it serves. Sites change almost never; `KnownSiteMiddleware` keeps the answer,
with the home page already specific, in the page cache (`market.page_cache.remembered`)
until the next `pages_changed()`: a site saved or deleted, or any page published, moves it.
"""

from django.http.request import split_domain_port
from django.utils.functional import SimpleLazyObject
from wagtail.models import Site

from market import page_cache


def known_site(request) -> Site | None:
    """The request's site as `Site.find_for_request` finds it, its root page specific."""
    # After CommonMiddleware: `get_host()` has been checked against ALLOWED_HOSTS.
    hostname = split_domain_port(request.get_host())[0]
    port = request.get_port()

    def find():
        site = Site._find_for_request(request)
        if site is not None:
            site.root_page = site.root_page.specific
        return site

    return page_cache.remembered(f"site:{hostname}:{port}", find)


class KnownSiteMiddleware:
    """Sets `request._wagtail_site`, where `Site.find_for_request` looks first: lazily, so a
    request that never asks for its site (a form post, a webhook) reads nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not hasattr(request, "_wagtail_site"):
            request._wagtail_site = SimpleLazyObject(lambda: known_site(request))
        return self.get_response(request)
