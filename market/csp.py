"""The Content-Security-Policy middleware: django-csp's, plus Stripe Checkout as a form target
when card payments are on.

The pay-by-card form answers 303 to Stripe Checkout, and Chromium applies `form-action` to
the redirect that follows a form, so without Stripe's origin the buyer would stay on our
page. The origin is added at each response, from the settings of the moment, so it follows
`STRIPE_SECRET_KEY` (and the local stub tests point `STRIPE_API_BASE` at) even when those
change after start-up. The policy itself lives in `settings.CONTENT_SECURITY_POLICY`.
"""

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.conf import settings

STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"


def stripe_checkout_origin() -> str:
    """Where Checkout is hosted: Stripe's host, or the stub server that stands in for Stripe
    (API and hosted page) when `STRIPE_API_BASE` is set."""
    if settings.STRIPE_API_BASE:
        parts = urlsplit(settings.STRIPE_API_BASE)
        return f"{parts.scheme}://{parts.netloc}"
    return STRIPE_CHECKOUT_ORIGIN


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if settings.STRIPE_SECRET_KEY and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), stripe_checkout_origin()]
            parts.update = update
        return parts
