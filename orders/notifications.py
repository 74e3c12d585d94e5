"""E-mails about orders, as background tasks (Django's Tasks API, backend "jobs").

They are enqueued with `transaction.on_commit`, so a rolled-back order sends nothing.
Each task reloads the order, so it works the same inline or in the jobs worker. A task is
one event (its task id names it): every message it sends goes through the effect ledger
(`market.jobs.effect_once`, key "<task id>:<recipient>:email"), so a task run again after its
worker died half-way sends only what had not left yet, and nothing twice.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from cooperatives.models import Membership
from market.emails import email_once


def _send(
    *, key: str, template: str, subject: str, to: list[str], context: dict, language: str | None = None
) -> None:
    """E-mail in `language` (the buyer's order language for her, Spanish for cooperatives)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        email_once(key=key, template=f"orders/email/{template}", subject=subject, to=to, context=context)


def _order(order_id: int):
    from orders.models import Order

    return (
        Order.objects.select_related("buyer", "organization")
        .prefetch_related("fulfilments__cooperative", "fulfilments__lines")
        .get(pk=order_id)
    )


def _buyer_context(order) -> dict:
    return {
        "order": order,
        "url": settings.SITE_URL.rstrip("/") + reverse("orders:detail", args=[order.number]),
    }


def _event(context) -> str:
    """The task's own id: a rerun of the task is the same event, a new task a new one."""
    return f"{context.task_result.task.name}:{context.task_result.id}"


@task(backend="jobs", takes_context=True)
def order_placed(context, order_id: int) -> None:
    order = _order(order_id)
    event = _event(context)
    with translation.override(order.language):
        _send(
            key=f"{event}:buyer:{order.buyer_id}",
            template="order_placed",
            subject=_("We received your order %(number)s") % {"number": order.number},
            to=[order.buyer.email],
            context=_buyer_context(order),
            language=order.language,
        )
    with translation.override(settings.LANGUAGE_CODE):
        for fulfilment in order.fulfilments.all():
            _send(
                key=f"{event}:cooperative:{fulfilment.cooperative_id}",
                template="fulfilment_new",
                subject=_("New order %(number)s for %(name)s")
                % {"number": order.number, "name": fulfilment.cooperative.name},
                to=Membership.objects.manager_emails(fulfilment.cooperative_id),
                context={
                    "order": order,
                    "fulfilment": fulfilment,
                    "url": settings.SITE_URL.rstrip("/")
                    + reverse("orders:fulfilment_detail", args=[fulfilment.cooperative.slug, fulfilment.pk]),
                },
            )


def _buyer_notice(context, order_id: int, template: str, subject) -> None:
    order = _order(order_id)
    with translation.override(order.language):
        _send(
            key=f"{_event(context)}:buyer:{order.buyer_id}",
            template=template,
            subject=str(subject) % {"number": order.number},
            to=[order.buyer.email],
            context=_buyer_context(order),
            language=order.language,
        )


@task(backend="jobs", takes_context=True)
def order_confirmed(context, order_id: int) -> None:
    _buyer_notice(context, order_id, "order_confirmed", gettext_lazy("Your order %(number)s is confirmed"))


@task(backend="jobs", takes_context=True)
def order_changed(context, order_id: int) -> None:
    _buyer_notice(context, order_id, "order_changed", gettext_lazy("Your order %(number)s changed"))


@task(backend="jobs", takes_context=True)
def order_ready(context, order_id: int) -> None:
    _buyer_notice(context, order_id, "order_ready", gettext_lazy("Your order %(number)s is ready"))


@task(backend="jobs", takes_context=True)
def order_cancelled(context, order_id: int) -> None:
    _buyer_notice(context, order_id, "order_cancelled", gettext_lazy("Your order %(number)s was cancelled"))
