"""Helpers that several test modules share: races between threads, stock readings, messages."""

import threading
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib.messages import get_messages
from django.db import connection


def race(action: Callable, calls: Iterable[tuple] = ((),), *, times: int = 1, expected=()):
    """Run `action(*call)` for every call, each in its own thread and database connection,
    all released at the same moment by a barrier (PostgreSQL tests: real row locks).

    `times` repeats the list of calls (five clicks of one button: `race(click, times=5)`).
    Returns `(outcomes, errors)`: an outcome is `(call, result)`, in the order the threads
    finished, where `result` is what `action` returned or the `expected` exception it raised;
    `errors` lists every other exception, for the test to assert that there is none.
    """
    calls = [tuple(call) for call in calls] * times
    barrier = threading.Barrier(len(calls))
    outcomes, errors = [], []

    def run(call):
        try:
            barrier.wait(timeout=30)
            outcomes.append((call, action(*call)))
        except expected as error:
            outcomes.append((call, error))
        except Exception as error:  # pragma: no cover - reported by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes, errors


def stock(product) -> Decimal | None:
    """The catalogue stock of `product` as the database holds it now (None: made to order)."""
    from catalog.models import Product

    return Product.objects.values_list("stock", flat=True).get(pk=product.pk)


def market_stock(event, product):
    """The live counter of `product` in the market `event`."""
    from cms.models import MarketStock

    return MarketStock.objects.get(event=event, product=product)


def messages(response) -> list[tuple[str, str]]:
    """The (level, text) of each message a rendered response showed."""
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def message_texts(response) -> list[str]:
    """The text of each message of the request that gave `response` (followed or not)."""
    return [str(m) for m in get_messages(response.wsgi_request)]
