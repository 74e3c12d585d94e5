"""`make bench`: a load run of Minga under gunicorn with production settings.

The pieces (see the README's "Benchmark" section):

- `bench.build`     builds the benchmark's own database (large catalogue, markets, past
                    orders) and, per run, mints sessions and sets the market clocks;
- `bench.settings`  production settings plus the floor URL and the X-Queries header,
                    switched on only with MINGA_BENCH=true (production has no such URL);
- `bench/load.py`   the load driver, a separate process using only the standard library;
- `bench.run`       the orchestration behind `make bench` and `make bench-ci`.

Nothing here is imported by the apps, and `market` imports nothing from here.
"""

import os

# Bump when the data the builder makes changes in a way the fingerprint cannot see.
VERSION = 1

# Sizes of the two runs. "full" is `make bench`; "short" is `make bench-ci` / BENCH_SHORT=1.
PROFILES = {
    "full": {
        "cooperatives": 50,
        "products": 2000,
        "market_offers": 300,
        "big_market_offers": int(os.environ.get("BENCH_BIG_MARKET_OFFERS", "1000")),  # the scale option
        "pickup_points": 4,
        "past_orders": 5000,
        "past_market_share": 0.2,  # of the past orders, those placed in a closed market
        "past_buyers": 500,
        "checkout_buyers": 1500,  # one prefilled basket each: bounds the checkout scenario
        "base_images": 12,
        "rush_buyers": 300,
        "rush_window_s": 10.0,
        "rush_units": 50,
        "rush_slots": 3,
        "rush_slot_capacity": 20,
        "warmup_s": 2.0,
        "duration_s": 15.0,
        "max_requests": 20000,
        "concurrency": 8,
        # The search scale (`search-100k`): its own database of this many products.
        "search_products": 100_000,
        "search_cooperatives": 500,
    },
    "short": {
        "cooperatives": 8,
        "products": 200,
        "market_offers": 50,
        "big_market_offers": 200,  # every product of the short catalogue
        "pickup_points": 4,
        "past_orders": 300,
        "past_market_share": 0.2,
        "past_buyers": 50,
        "checkout_buyers": 300,
        "base_images": 4,
        "rush_buyers": 100,
        "rush_window_s": 5.0,
        "rush_units": 50,
        "rush_slots": 3,
        "rush_slot_capacity": 20,
        "warmup_s": 0.5,
        "duration_s": 3.0,
        "max_requests": 3000,
        "concurrency": 6,
        "search_products": 5_000,
        "search_cooperatives": 20,
    },
}


def profile_name() -> str:
    return "short" if os.environ.get("BENCH_SHORT", "").lower() in {"1", "true", "yes"} else "full"
