"""Helpers that several test modules share: rows built once, races between threads, stock
readings, messages, Wagtail snippet forms posted back."""

import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from decimal import Decimal

from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.urls import reverse


@contextmanager
def built_once(django_db_blocker, build: Callable):
    """Rows that the tests of a module (or class) share, for a fixture of that scope:

        @pytest.fixture(scope="module")
        def world_rows(django_db_setup, django_db_blocker):
            with built_once(django_db_blocker, build_world) as world:
                yield world

    `build()` runs once in a transaction that stays open until the fixture ends and is then
    rolled back. Each test that also asks for `db` runs in a savepoint inside it, as usual,
    so whatever a test writes is gone before the next one. Not for `transaction=True` tests.
    """
    atomic = transaction.atomic()
    atomic._from_testcase = True  # as Django's TestCase does: durable blocks inside still work
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            value = build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield value
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


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


def snippet_edit_url(model, pk) -> str:
    """The Wagtail admin's edit page of a snippet (a cooperative, a product...)."""
    return reverse(f"wagtailsnippets_{model._meta.app_label}_{model._meta.model_name}:edit", args=[pk])


def form_values(form) -> dict:
    """A form's current values as a browser posts them back: empty fields and unticked boxes
    left out, several choices as a list of strings."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def snippet_post(client, instance, **changes):
    """The instance's edit form in the Wagtail admin posted back as a browser would, with
    `changes`: the response."""
    url = snippet_edit_url(type(instance), instance.pk)
    data = form_values(client.get(url).context["form"])
    data.update(changes)
    return client.post(url, data)
