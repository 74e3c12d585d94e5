"""Settings for `make bench` only: the production settings plus what a load run needs.

Used as DJANGO_SETTINGS_MODULE by `bench.run` (gunicorn and the build steps), and refused
unless MINGA_BENCH=true, so a production server never runs with them by accident:

- ROOT_URLCONF adds the floor view (`/bench/floor/`); `market.urls` has no such URL.
- `X-Queries` and `X-CPU-ms` response headers: SQL queries and CPU time of the request.
- Session and CSRF cookies without the Secure flag: the run is plain http on loopback
  (no TLS to terminate), and a browser or the driver would not send Secure cookies back
  over http. Everything else (DEBUG off, WhiteNoise with the manifest, HSTS, password
  hashing, persistent connections...) is exactly `market.settings`.
- STATIC_ROOT in the bench folder, so collectstatic never touches the project's.
- `MINGA_BENCH_PAGE_CACHE=off`: the anonymous page cache keeps no page (`bench.cache`), so
  every anonymous request renders as the first visitor's after a change does, while the
  values it remembers for every page (the catalogue's category counts) stay warm: what the
  search measurements (`bench.search_plans`, the `search-100k` row) need, since the cache
  would otherwise answer every repeated search without searching. `market.page_cache` is
  unchanged; only the store behind it is (one per process: those runs only read). Off by
  default: the other rows measure the cache.
- The database must be a benchmark one (its name contains "bench"): never the dev db.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

if os.environ.get("MINGA_BENCH", "").lower() != "true":
    raise ImproperlyConfigured("bench.settings is only for `make bench` (it needs MINGA_BENCH=true).")

from market.settings import *  # noqa: F403
from market.settings import BASE_DIR, CACHES, DATABASES, MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.middleware.BenchHeadersMiddleware", *MIDDLEWARE]

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

STATIC_ROOT = Path(os.environ.get("MINGA_BENCH_STATIC_ROOT", BASE_DIR / "bench-results" / "static"))
MINGA_BENCH_FLOOR_FILE = os.environ.get("MINGA_BENCH_FLOOR_FILE", "")

if os.environ.get("MINGA_BENCH_PAGE_CACHE", "on").lower() == "off":
    CACHES = {**CACHES, "pages": {"BACKEND": "bench.cache.PagesNotKept", "LOCATION": "bench-pages"}}

if "bench" not in Path(str(DATABASES["default"]["NAME"])).name:
    raise ImproperlyConfigured(
        f"bench.settings refuses database {DATABASES['default']['NAME']!r}: not a benchmark database."
    )
