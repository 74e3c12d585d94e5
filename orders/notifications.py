"""What people are told about an order, through the outbox (`market.messages`).

Each function is called inside the transaction of the event (a placed order, a status move,
a weight recorded) and writes its messages there: they commit with the event or not at all,
and the jobs worker sends them after the commit, at most once per event, recipient and
channel. The event keys name the order and the move ("order_ready:<order>": an order is
ready once), or the log row (`OrderEvent`) of a change that can happen many times: the same
move never tells anyone twice, and two different changes each tell her once.

Who hears what is the table in the README ("Who is told what").
"""

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cooperatives.notifications import managers_by_cooperative
from market.messages.outbox import Notice, batch, notify
from market.messages.recipients import Recipient
from market.site import absolute

ORDER_PLACED = Notice.named(
    "orders", "order_placed", _("We received your order %(number)s"), "minga_pedido_recibido"
)
ORDER_CONFIRMED = Notice.named(
    "orders", "order_confirmed", _("Your order %(number)s is confirmed"), "minga_pedido_confirmado"
)
ORDER_CHANGED = Notice.named(
    "orders", "order_changed", _("Your order %(number)s changed"), "minga_pedido_cambio"
)
ORDER_READY = Notice.named("orders", "order_ready", _("Your order %(number)s is ready"), "minga_pedido_listo")
ORDER_DELIVERED = Notice.named(
    "orders", "order_delivered", _("Your order %(number)s was handed over"), "minga_pedido_entregado"
)
ORDER_CANCELLED = Notice.named(
    "orders", "order_cancelled", _("Your order %(number)s was cancelled"), "minga_pedido_cancelado"
)
ORDER_EXPIRED = Notice.named(
    "orders", "order_expired", _("Your order %(number)s expired"), "minga_pedido_cancelado"
)
PAYMENT_RECORDED = Notice.named(
    "orders", "payment_recorded", _("Payment recorded for order %(number)s"), "minga_pago_recibido"
)
FULFILMENT_NEW = Notice.named(
    "orders", "fulfilment_new", _("New order %(number)s for %(name)s"), "minga_cooperativa_pedido"
)
FULFILMENT_CANCELLED = Notice.named(
    "orders",
    "fulfilment_cancelled",
    _("Order %(number)s for %(name)s was cancelled"),
    "minga_cooperativa_cancelado",
)


def buyer_recipients(order) -> list[Recipient]:
    """Who is told about an order as its buyer: the person it was taken for by phone (her
    number), or the buyer herself (her channels), in the language she ordered in."""
    if order.contact_phone:
        # Taken by a Market Builder on someone's behalf, or a number given at checkout.
        own = order.buyer if order.buyer.phone == order.contact_phone else None
        if own is not None:
            return [Recipient.of(own, language=order.language)]
        email = "" if _assisted(order) else (order.buyer.email or "")
        return [
            Recipient(
                phone=order.contact_phone, name=order.contact_name, email=email, language=order.language
            )
        ]
    return [Recipient.of(order.buyer, language=order.language)]


def _assisted(order) -> bool:
    """Taken by a Market Builder by phone: the buyer of record is the builder, not the person."""
    return bool(order.contact_name) and order.buyer.is_market_builder()


def handover_line(order) -> str:
    """One line on where and when, for SMS and WhatsApp."""
    from orders.handover import handover_of

    handover = handover_of(order)  # kept on the order: the e-mail templates read it too
    parts = [str(handover.title), handover.where, handover.when]
    line = ". ".join(p for p in parts if p)
    return line if line.endswith(".") else line + "."


def _prefetched(order):
    """The order with what every message about it reads, loaded once for all its messages."""
    prefetch_related_objects([order], "fulfilments__cooperative", "fulfilments__lines")
    return order


def _buyer(notice: Notice, order, *, event: str, **extra) -> None:
    order = _prefetched(order)
    to = buyer_recipients(order)
    # Her order page needs her account: someone without one (a phone order) gets the site.
    page = reverse("orders:detail", args=[order.number]) if to[0].user is not None else "/"
    context = {
        "order": order,
        "url": absolute(page),
        "handover_line": handover_line(order),
        **extra,
    }
    notify(
        notice,
        event=event,
        about=f"order:{order.pk}",
        to=to,
        context=context,
        subject_fields={"number": order.number},
    )


def order_placed(order, *, just_placed: bool = False) -> None:
    """The buyer, and each cooperative for its own part: written together (`batch`).

    `just_placed`: called in the transaction that created the order, whose events no
    message can hold yet (a card payment's confirmation may come twice: not there)."""
    with batch(new_events=just_placed):
        _buyer(ORDER_PLACED, order, event=f"order_placed:{order.pk}")
        _cooperatives(
            FULFILMENT_NEW, order, _prefetched(order).fulfilments.all(), handover_line=handover_line(order)
        )


def _cooperatives(notice: Notice, order, fulfilments, **extra) -> None:
    """Each cooperative's managers, about its own part of `order` (one query for all)."""
    fulfilments = list(fulfilments)
    managers = managers_by_cooperative({f.cooperative_id for f in fulfilments})
    for fulfilment in fulfilments:
        notify(
            notice,
            event=f"{notice.kind}:{fulfilment.pk}",
            about=f"fulfilment:{fulfilment.pk}",
            to=managers.get(fulfilment.cooperative_id, []),
            context={
                "order": order,
                "fulfilment": fulfilment,
                "cooperative": fulfilment.cooperative,
                "url": absolute(
                    reverse("orders:fulfilment_detail", args=[fulfilment.cooperative.slug, fulfilment.pk])
                ),
                **extra,
            },
            subject_fields={"number": order.number, "name": fulfilment.cooperative.name},
        )


def order_confirmed(order) -> None:
    _buyer(ORDER_CONFIRMED, order, event=f"order_confirmed:{order.pk}")


def order_changed(order, *, event_id: int, change: str = "") -> None:
    _buyer(ORDER_CHANGED, order, event=f"order_changed:{order.pk}:{event_id}", change_line=change)


def order_ready(order) -> None:
    _buyer(ORDER_READY, order, event=f"order_ready:{order.pk}")


def order_delivered(order) -> None:
    _buyer(
        ORDER_DELIVERED,
        order,
        event=f"order_delivered:{order.pk}",
    )


def order_expired(order) -> None:
    _buyer(ORDER_EXPIRED, order, event=f"order_expired:{order.pk}")


def order_cancelled(order, *, fulfilment_ids: list[int]) -> None:
    """The buyer, and each cooperative whose part was still to be prepared."""
    _buyer(ORDER_CANCELLED, order, event=f"order_cancelled:{order.pk}")
    stopped = order.fulfilments.filter(pk__in=fulfilment_ids).select_related("cooperative")
    _cooperatives(FULFILMENT_CANCELLED, order, stopped)


def payment_recorded(order, *, part: str, amount: int) -> None:
    """`part`: what was paid ("fulfilment:<pk>" for an offline part, "card" for the whole order)."""
    _buyer(PAYMENT_RECORDED, order, event=f"payment_recorded:{order.pk}:{part}", amount=amount)
