"""Database time of the catalogue's search page, query by query, from the database's own plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minga_bench_search \\
        .venv/bin/python -m bench.search_plans "cafe" "yuka"

Renders `/catalogo/?q=<search>` once to warm up and once to record its SQL, then runs
`EXPLAIN (ANALYZE)` on every SELECT of the recorded request five times and prints, per
search, the median planning + execution time of each query and their sum: the database time
of one request, and the search's own part of it (the queries that read the full-text index
or its vocabulary, marked `*`; the others render the page: filters, cards).

The anonymous page cache keeps no page here (`MINGA_BENCH_PAGE_CACHE=off`, see
bench.settings), so the recorded request searches rather than reading the warm-up's
rendering back (a request answered from the cache stops the run); what every page shares
(the catalogue's category counts) is read once by the warm-up, as between two changes in
production. `--cold` counts them in the recorded request too. PostgreSQL only (the
`search-100k` row of `make bench` measures SQLite, where the database runs inside the
request's CPU time). The database must be a benchmark one (bench.settings refuses any
other); it is only read. A database of another size for comparison:
`python -m bench.build build-search --products 2000` (with bench.run's environment).
"""

import os
import re
import secrets
import statistics
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("MINGA_BENCH", "true")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ["MINGA_BENCH_PAGE_CACHE"] = "off"  # measure the search, not the page cache

import django

django.setup()

from django.core.cache import caches  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Product  # noqa: E402
from market.page_cache import ALIAS, HEADER  # noqa: E402

TIME = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")
SEARCH = ("search_vector", "catalog_search_word")  # what the search's own queries read


def explain_ms(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE) " + sql)
        return sum(float(m.group(2)) for row in cursor.fetchall() for m in TIME.finditer(row[0]))


def measure(search: str, *, cold: bool = False) -> list[tuple[float, str]]:
    client = Client()
    url = "/catalogo/?" + "q=" + search.replace(" ", "+")
    assert client.get(url).status_code == 200
    if cold:
        caches[ALIAS].clear()  # what every page shares is read again, as after a change
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    if response.get(HEADER) == "hit":
        raise SystemExit(f"bench.search_plans: {url} came from the page cache, not from the search")
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return [(statistics.median(explain_ms(sql) for _ in range(5)), sql) for sql in selects]


def main(args: list[str]) -> int:
    if connection.vendor != "postgresql":
        raise SystemExit("bench.search_plans: PostgreSQL only (set DATABASE_URL)")
    cold = "--cold" in args
    searches = [a for a in args if a != "--cold"] or ["cafe"]
    shared = ", the reads every page shares counted in each request (cold)" if cold else ""
    print(f"{Product.objects.count():,} products{shared}")
    for search in searches:
        rows = measure(search, cold=cold)
        own = [ms for ms, sql in rows if any(name in sql for name in SEARCH)]
        print(
            f"?q={search}: {sum(ms for ms, _ in rows):.2f} ms of database time in {len(rows)} queries,"
            f" the search's own {sum(own):.2f} ms in {len(own)}"
        )
        for ms, sql in rows:
            mark = "*" if any(name in sql for name in SEARCH) else " "
            print(f"  {ms:7.2f} ms {mark} {' '.join(sql.split())[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
