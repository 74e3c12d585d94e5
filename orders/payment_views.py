"""Card payment pages and the Stripe webhook. Thin: `orders.payments` does the work.

The webhook answers 400 only when the request is not a valid, fresh, signed Stripe event;
anything signed is acknowledged with 200 (see the rules in `orders.payments`).
Configure it in Stripe as `https://<site>/pagos/stripe/webhook/` (with the final slash).
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from orders import selectors
from orders.exceptions import PaymentError, WebhookSignatureError
from orders.models import Order, OrderStatus, PaymentMethod
from orders.payments.card_checkout import card_checkout_start
from orders.payments.card_webhooks import stripe_webhook_handle

log = logging.getLogger(__name__)


def _buyer_card_order(request, number) -> Order:
    order = selectors.order_for_buyer(user=request.user, number=number)
    if order is None or order.payment_method != PaymentMethod.CARD:
        raise Http404
    return order


@login_required
@require_http_methods(["GET", "POST"])
def pay_card(request, number):
    """GET: the total and a button. POST: open Stripe Checkout and go there (303)."""
    order = _buyer_card_order(request, number)
    if order.status != OrderStatus.AWAITING_PAYMENT:
        return redirect("orders:detail", number)
    if request.method == "POST":
        try:
            url = card_checkout_start(
                order=order,
                success_url=request.build_absolute_uri(reverse("orders:pay_card_return", args=[number])),
                cancel_url=request.build_absolute_uri(reverse("orders:pay_card", args=[number])),
            )
        except PaymentError as error:
            messages.error(request, error.message)
            return redirect("orders:detail", number)
        response = HttpResponseRedirect(url)
        response.status_code = 303
        return response
    return render(request, "orders/pay_card.html", {"order": order})


@login_required
def pay_card_return(request, number):
    """Where Stripe sends the buyer back. It proves nothing: only the webhook changes the order."""
    order = _buyer_card_order(request, number)
    return render(
        request,
        "orders/pay_return.html",
        {"order": order, "waiting": order.status == OrderStatus.AWAITING_PAYMENT},
    )


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        outcome = stripe_webhook_handle(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except WebhookSignatureError as error:
        log.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    return HttpResponse(outcome, content_type="text/plain")
