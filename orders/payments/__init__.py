"""Payments: the one place an order's payment status changes.

Offline methods (cash, transfer, invoice) are recorded part by part: each cooperative's
manager records the payment of her own `Fulfilment` (`fulfilment_mark_paid`), and the
order becomes PAID once every part that still counts is paid. Card payments (Stripe
Checkout) pay the whole order and are confirmed by signed webhooks.

Where each part lives
---------------------
* `records`: the one writer of an order's payment status and amounts, with its log row.
* `offline`: cash, transfer and invoice, recorded part by part (its rules are there).
* `stripe_api`: the configured Stripe client, idempotency keys and amount conversion.
* `card_settle`: after fulfilment, capture, release or refund (called by the transitions).
* `card_webhooks`: signed webhooks, the authorisation, a failed or expired session, refunds.
* `card_checkout`: opening the Checkout Session; `card_expiry`: expiry without a webhook.

Dependencies point one way: `card_checkout -> card_expiry -> card_webhooks ->
orders.transitions -> card_settle, offline -> records`, so no module imports another
inside a function.

Card payments, the rules this package keeps
-------------------------------------------
* **Authorise at checkout, capture after fulfilment.** The Checkout Session asks for
  `capture_method=manual`. Stripe Checkout reports `payment_status="paid"` on
  `checkout.session.completed` once the card is authorised (the PaymentIntent waits in
  `requires_capture`); only then do we record the order AUTHORISED (`authorised_cop` = the
  session's `amount_total` / 100) and move it AWAITING_PAYMENT -> PLACED. Any other
  `payment_status` ("unpaid": a delayed method) waits for
  `checkout.session.async_payment_succeeded`. PAID is recorded only by our own capture.
* **Capture the final amount.** When the order reaches DELIVERED, `card_settle` captures
  `min(total_cop, authorised_cop)` (never above what was authorised; Stripe releases the
  rest of the hold). A final total of 0, or an order cancelled/expired after authorisation,
  cancels the PaymentIntent (the hold is released, nothing is collected: UNPAID). If money
  was already captured and the total dropped, the difference is refunded. Over-delivery
  beyond the authorisation is logged on the order: the rest is collected offline.
* **Nothing locks stock, or an order row, while talking to Stripe.** Outgoing calls run
  outside any transaction; their result is then recorded with a conditional UPDATE, so a
  repeated or concurrent settle records it once.
* **Every outgoing POST carries a deterministic idempotency key**, built from the order
  number and the Stripe amount (pesos x 100): `checkout-{number}`,
  `capture-{number}-{amount}`, `refund-{number}-{refunded total after it}`,
  `cancel-{number}`, `expire-{number}`. A retry (double click, worker retry, two app
  servers) is the same request to Stripe and gets the same answer.
* **Webhooks.** The signature is checked with `stripe.Webhook.construct_event` (400 on a
  wrong secret, changed body or a timestamp older than 300 s). Each event id is stored in
  `StripeEvent` in the same transaction as its effect: a replay, even concurrent, hits
  the unique index and changes nothing (200). An event that is signed but does not match
  an order (unknown order, other amount, other currency, another session) is logged and
  acknowledged with 200 without any change: it came from Stripe, so retrying it for days
  cannot make it valid, and the warning in the log is what someone must look at.
* **Expiry.** The session expires at `order.payment_expires_at` (moved to at least 31
  minutes after the session is created: Stripe's minimum is 30). `checkout.session.expired`
  or `manage.py expire_card_orders` (for when no webhook arrives) move the unpaid order to
  EXPIRED, which returns its stock exactly once.
"""
