"""The Stripe client as settings configure it, idempotency keys, and amounts in Stripe's units."""

from functools import lru_cache

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from market.money import STRIPE_COP_FACTOR, to_stripe_amount
from orders.exceptions import PaymentError

CURRENCY = "cop"


def stripe_client() -> stripe.StripeClient:
    """The real `stripe` library, configured from settings. `STRIPE_API_BASE` (tests, a
    local stub on plain http) replaces Stripe's API address."""
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    if not api_key:
        raise PaymentError(_("Card payments are not available."))
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=2,
    )


def idempotent(key: str) -> dict:
    """Request options that make a retried POST the same request to Stripe."""
    return {"idempotency_key": key}


def cents(pesos: int) -> int:
    return to_stripe_amount(pesos)


def pesos(amount) -> int:
    return int(amount or 0) // STRIPE_COP_FACTOR
