"""The anonymous page cache's store for the search measurements (`MINGA_BENCH_PAGE_CACHE=off`
in `bench.settings`), never production's.

It keeps what `market.page_cache` remembers between two changes (its version, the
catalogue's category counts: `remembered` values) but no rendered page, so every request
renders and searches as the first visitor after a change does, while the reads that every
page shares stay as warm as in production. Pages are the entries whose key starts with
`page:` (`market.page_cache._key`); `bench.run` fails the search row if a repeated search
still comes from the cache, so a change of that key cannot go unnoticed.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

PAGE_PREFIX = "page:"


class PagesNotKept(LocMemCache):
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if str(key).startswith(PAGE_PREFIX):
            return False
        return super().add(key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not str(key).startswith(PAGE_PREFIX):
            super().set(key, value, timeout, version)
