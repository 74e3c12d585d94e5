"""Closing of markets: each cooperative gets what to bring, each buyer her pickup reminder.

How it runs in production
-------------------------
A scheduler runs `manage.py close_markets` every 5 minutes, e.g. cron::

    */5 * * * * cd /srv/minga && .venv/bin/python manage.py close_markets

or a systemd timer with `OnCalendar=*:0/5` starting a oneshot service with that command.
The command only claims markets and enqueues tasks on the "jobs" backend; with
`TASKS_WORKER=true` those are stored in the database and `manage.py db_worker` (a
long-running process next to the app servers) sends the e-mails. Without it (the embedded
default) they are sent inline by the command itself.

Exactly once
------------
* A market is claimed by inserting its `MarketClosing` row
  (`cms.markets.services.market_close_claim`): the unique row is the lock, so two runs,
  on one server or several, claim it once and only the winner enqueues the
  cooperatives' e-mails, after the claim committed.
* Each buyer's reminder is recorded on `MarketOrder.reminder_sent_at` by a conditional
  UPDATE (`... WHERE reminder_sent_at IS NULL`) *before* the e-mail goes out: only the
  task that flips it sends. If sending fails the mark is cleared, and the next run of the
  job tries that reminder again.
* Card orders still awaiting payment at the close are left out of the lists; if the
  payment arrives within the card payment window, a later run sends that buyer's
  reminder (the sweep below). Cancelled and expired orders never get one.
* Orders taken by phone by a Market Builder get no e-mail: the builder is their buyer
  of record and the person who collects has no address; the builder's lists carry her
  phone.
* Markets whose (last) market day already passed are skipped: after a long outage, or on
  the first deployment, nobody is told about a market that is over.
"""

import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from cms.markets import services
from cms.markets.cooperative import (
    cooperative_consolidated,
    cooperative_packing,
    market_participants,
    orders_to_remind,
)
from cms.models import MarketEventPage, MarketOrder
from cooperatives.models import Membership
from market.emails import email_once, site_url
from orders.models import ORDER_NOT_PLACED

logger = logging.getLogger(__name__)


# --- The job --------------------------------------------------------------------------


def _running(now):
    """Markets that were published and whose (last) market day has not passed."""
    return (
        MarketEventPage.objects.originals()
        .filter(first_published_at__isnull=False)
        .annotate(last_day=Coalesce("market_day_end", "market_day"))
        .filter(last_day__gte=timezone.localdate(now))
    )


def markets_close_due(now=None) -> int:
    """Claim every closed market not yet notified and enqueue its e-mails. Returns how many.

    Safe to run at any time, twice, or from two processes at once: see the module
    docstring. Also sends the reminders of late-paid card orders of markets closed earlier.
    """
    now = now or timezone.now()
    claimed = []
    due = _running(now).filter(closes_at__lte=now, closing__isnull=True).order_by("closes_at", "pk")
    for event in due:
        with transaction.atomic():
            if not services.market_close_claim(event=event, now=now):
                continue
            transaction.on_commit(partial(market_closed.enqueue, event.pk))
        claimed.append(event.pk)
    # Orders counted since their market's closing was sent (a card paid in its window).
    late = (
        MarketOrder.objects.filter(event__in=_running(now).filter(closing__isnull=False))
        .exclude(event_id__in=claimed)
        .filter(pk__in=_remindable())
        .values_list("pk", flat=True)
    )
    for link_id in list(late):
        transaction.on_commit(partial(pickup_reminder.enqueue, link_id))
    return len(claimed)


def _remindable():
    return (
        MarketOrder.objects.filter(reminder_sent_at__isnull=True, assisted_by__isnull=True)
        .exclude(order__status__in=ORDER_NOT_PLACED)
        .exclude(order__contact_phone__gt="")
        .values("pk")
    )


# --- Tasks ------------------------------------------------------------------------------


@task(backend="jobs")
def market_closed(event_id: int) -> None:
    """Fan out: one e-mail task per participating cooperative and per buyer to remind."""
    event = MarketEventPage.objects.get(pk=event_id)
    for cooperative in market_participants(event):
        cooperative_market_list.enqueue(event.pk, cooperative.pk)
    for link_id in list(orders_to_remind(event).values_list("pk", flat=True)):
        pickup_reminder.enqueue(link_id)


@task(backend="jobs")
def cooperative_market_list(event_id: int, cooperative_id: int) -> None:
    """E-mail a cooperative's managers what to bring and its packing list per buyer."""
    from cooperatives.models import Cooperative

    with translation.override(settings.LANGUAGE_CODE):
        event = MarketEventPage.objects.select_related("municipality").get(pk=event_id)
        cooperative = Cooperative.objects.get(pk=cooperative_id)
        fulfilments = cooperative_packing(event=event, cooperative=cooperative)
        email_once(
            key=f"market_closed:{event.pk}:cooperative:{cooperative.pk}",
            template="cms/email/market_closed_cooperative",
            subject=_("%(market)s closed: what %(cooperative)s brings")
            % {"market": event.title, "cooperative": cooperative.name},
            to=Membership.objects.manager_emails(cooperative.pk),
            context={
                "event": event,
                "cooperative": cooperative,
                "consolidated": cooperative_consolidated(event=event, cooperative=cooperative),
                "fulfilments": fulfilments,
                "orders": len(fulfilments),
                "url": site_url() + reverse("cms:workspace_market", args=[cooperative.slug, event.pk]),
            },
        )


def _title_in(event: MarketEventPage, language: str) -> str:
    """The market's title as published in `language`, else the original's."""
    translated = (
        MarketEventPage.objects.live()
        .filter(translation_key=event.translation_key, locale__language_code=language)
        .values_list("title", flat=True)
        .first()
    )
    return translated or event.title


@task(backend="jobs")
def pickup_reminder(market_order_id: int) -> None:
    """Remind a buyer of her pickup slot or delivery: once, whoever runs it and how often."""
    link = (
        MarketOrder.objects.select_related("order__buyer", "event__municipality", "slot__pickup_point")
        .filter(pk=market_order_id)
        .first()
    )
    if link is None or not link.order.buyer.email:
        return
    if link.assisted_by_id or link.order.contact_phone or link.order.status in ORDER_NOT_PLACED:
        return
    # Only this row's own column in the WHERE: PostgreSQL re-checks it on the row it
    # waited for, so of two tasks at once exactly one flips it (a join would not be re-checked).
    if not MarketOrder.objects.filter(pk=link.pk, reminder_sent_at__isnull=True).update(
        reminder_sent_at=timezone.now()
    ):
        return
    order = link.order
    try:
        with translation.override(order.language):  # the language she ordered in
            if order.delivery_method == "delivery":
                subject = _("Your order %(number)s from %(market)s: delivery on market day")
            else:
                subject = _("Your order %(number)s from %(market)s: your pickup time")
            lines = order.lines.exclude(status="rejected").select_related("fulfilment__cooperative")
            market_title = _title_in(link.event, order.language)
            email_once(
                key=f"pickup_reminder:{link.pk}:buyer:{order.buyer_id}",
                template="cms/email/pickup_reminder",
                subject=subject % {"number": order.number, "market": market_title},
                to=[order.buyer.email],
                context={
                    "link": link,
                    "event": link.event,
                    "market_title": market_title,
                    "order": order,
                    "slot": link.slot,
                    "lines": lines.order_by("fulfilment__cooperative__name", "product_name"),
                    "url": site_url() + reverse("orders:detail", args=[order.number]),
                },
            )
    except Exception:
        # Not sent: clear the mark so that the next run of the job tries again.
        MarketOrder.objects.filter(pk=link.pk).update(reminder_sent_at=None)
        logger.exception("Pickup reminder for market order %s not sent", link.pk)
        raise
