"""The floor: a plain Django view that returns a fixed page as large as the storefront.

It runs through the same gunicorn workers and the whole middleware stack, but reads no
database and renders no template. Its throughput is what this machine, gunicorn and
Django's request cycle can do at all for a page of that size; each scenario's ratio to
it says how much the page's own work (queries, templates) costs.

`bench.run` saves the open market's storefront, as an anonymous visitor receives it, to
MINGA_BENCH_FLOOR_FILE before the load starts; each worker reads it once.
"""

from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse


@lru_cache(maxsize=1)
def _page(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def floor(request):
    path = getattr(settings, "MINGA_BENCH_FLOOR_FILE", "")
    if not path:
        raise Http404
    try:
        body = _page(path)
    except FileNotFoundError:
        raise Http404 from None
    return HttpResponse(body, content_type="text/html; charset=utf-8")
