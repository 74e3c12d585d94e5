"""The bench's publishing rows (`publish-300`, `publish-1000`): how long a Market Builder
waits when she publishes a large market.

Run by `bench.run` after the load, on the run's copy of the database, as
`python -m bench.publish --profile full|short --out FILE`. For each size it makes a draft
market with that many offers of the catalogue's products (as the Wagtail editor saves
it), then times, in wall seconds with the queries counted:

- `first`: saving the draft's revision and publishing it;
- `again`: changing every offer's quantity, saving a new revision and publishing it.

The row shows the slower of the two. `table` and `problems` are for `bench.run`'s report
(importing this module does not set Django up). The short run uses smaller markets but keeps the
query budget: the queries may grow by one write per offer and per page save (the inline
rows django-modelcluster saves one by one), never more.
"""

import argparse
import json
import sys
import time
from datetime import timedelta
from decimal import Decimal

SIZES = {"full": (300, 1000), "short": (50, 150)}
# Queries a publish may run besides one write per offer (the page, its revision, its log,
# the search and reference indexes, the live counters).
FIXED_BUDGET = 150


def _timed(action) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return seconds, len(queries)


def publish_row(size: int, products: list, point) -> dict:
    from django.utils import timezone

    from cms.models import MarketEventPage, MarketIndexPage, MarketOffer, PickupSlot

    now = timezone.now()
    chosen = products[:size]
    event = MarketEventPage(
        title=f"Mercado de {size} ofertas",
        slug=f"bench-publicar-{size}-{int(time.time())}",
        municipality=point.municipality,
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=4),
        market_day=(now + timedelta(days=5)).date(),
        live=False,
    )
    event.offers = [
        MarketOffer(product=p, price_cop=max(500, p.price_cop), quantity=Decimal("40"), sort_order=n)
        for n, p in enumerate(chosen)
    ]
    start = now + timedelta(days=5)
    end = start + timedelta(hours=1)
    event.slots = [PickupSlot(pickup_point=point, starts_at=start, ends_at=end, capacity=20)]
    event.cooperatives = list({p.cooperative_id: p.cooperative for p in chosen}.values())
    MarketIndexPage.objects.first().add_child(instance=event)

    first_s, first_q = _timed(lambda: event.save_revision().publish())

    def again():
        page = MarketEventPage.objects.get(pk=event.pk).get_latest_revision_as_object()
        offers = list(page.offers.all())
        for offer in offers:
            offer.quantity += 1
        page.offers = offers
        page.save_revision().publish()

    again_s, again_q = _timed(again)
    return {
        "offers": size,
        "first_s": round(first_s, 2),
        "first_queries": first_q,
        "again_s": round(again_s, 2),
        "again_queries": again_q,
        "seconds": round(max(first_s, again_s), 2),
        "query_budget": size + FIXED_BUDGET,
        "within_budget": max(first_q, again_q) <= size + FIXED_BUDGET,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(SIZES), default="full")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from catalog.models import Product
    from cms.models import PickupPoint

    sizes = SIZES[args.profile]
    products = list(
        Product.objects.filter(cooperative__verification_status="verified")
        .select_related("cooperative")
        .order_by("pk")[: max(sizes)]
    )
    point = PickupPoint.objects.select_related("municipality").first()
    rows = {f"publish-{size}": publish_row(min(size, len(products)), products, point) for size in sizes}
    with open(args.out, "w") as out:
        json.dump(rows, out, indent=1)
    return 0


def table(rows: dict) -> str:
    """The report's publishing table (seconds, not requests per second)."""
    lines = [
        "| row | offers | seconds | first publish s (queries) | publish again s (queries) | query budget |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['offers']} | {r['seconds']:.2f} | {r['first_s']:.2f} ({r['first_queries']}) "
            f"| {r['again_s']:.2f} ({r['again_queries']}) | {r['query_budget']} |"
        )
    return "\n".join(lines)


def problems(rows: dict) -> list[str]:
    return [
        f"{name}: {max(r['first_queries'], r['again_queries'])} queries, budget {r['query_budget']}"
        for name, r in rows.items()
        if not r["within_budget"]
    ]


if __name__ == "__main__":
    sys.exit(main())
