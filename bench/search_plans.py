"""Database time of the catalogue's search page, query by query, from the database's own plans.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/minga_bench_search \\
        .venv/bin/python -m bench.search_plans "cafe" "yuka"

Renders `/catalogo/?q=<search>` once to warm up and once to record its SQL, then runs
`EXPLAIN (ANALYZE)` on every SELECT of the recorded request five times and prints, per
search, the median planning + execution time of each query and their sum: the database time
of one request. PostgreSQL only (the `search-100k` row of `make bench` measures SQLite,
where the database runs inside the request's CPU time). The database must be a benchmark
one (bench.settings refuses any other); it is only read.
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

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Product  # noqa: E402

TIME = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


def explain_ms(sql: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE) " + sql)
        return sum(float(m.group(2)) for row in cursor.fetchall() for m in TIME.finditer(row[0]))


def measure(search: str) -> list[tuple[float, str]]:
    client = Client()
    url = "/catalogo/?" + "q=" + search.replace(" ", "+")
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    return [(statistics.median(explain_ms(sql) for _ in range(5)), sql) for sql in selects]


def main(searches: list[str]) -> int:
    if connection.vendor != "postgresql":
        raise SystemExit("bench.search_plans: PostgreSQL only (set DATABASE_URL)")
    print(f"{Product.objects.count():,} products")
    for search in searches or ["cafe"]:
        rows = measure(search)
        print(f"?q={search}: {sum(ms for ms, _ in rows):.2f} ms of database time in {len(rows)} queries")
        for ms, sql in rows:
            print(f"  {ms:7.2f} ms  {sql[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
