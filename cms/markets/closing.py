"""The markets' clock job: who is told what when a market is about to open, opens and closes.

How it runs in production
-------------------------
A scheduler runs `manage.py close_markets` every minute, e.g. cron::

    * * * * * cd /srv/minga && .venv/bin/python manage.py close_markets

or a systemd timer with `OnCalendar=*:0/1` starting a oneshot service with that command.
Each run (`markets_run_due`) does four passes, each safe to run twice or from two servers
at once:

1. **Confirm your quantities** (`markets_confirm_due`): for each published market opening
   within MINGA_CONFIRM_ASK_HOURS, each participating verified cooperative with stock still
   unconfirmed is asked once (its `MarketConfirmAsk` row is the claim).
2. **Opened** (`markets_open_due`): for each open market, everyone who asked "Avísenme
   cuando abra" and was not told yet (`MarketWatch.told_at`, flipped by a conditional UPDATE).
3. **Closed** (`markets_close_due`): each closed market is claimed by inserting its
   `MarketClosing` row (`cms.markets.services.market_close_claim`: the unique row is the
   lock), and each participating cooperative's list (what to bring, per buyer and slot) is
   written in the claiming transaction. Then each buyer's pickup reminder, once her
   reminder is due (below), recorded on `MarketOrder.reminder_sent_at` by a conditional
   UPDATE in the transaction that writes it.
4. **Send what is due** (`market.messages.sending.messages_send_due`): retries whose backoff
   is over, rows whose task was lost.

Every message is a row of the outbox (`cms.markets.notifications`), written in the
transaction of its claim: it commits with the claim or not at all, and the jobs worker
(`manage.py jobs_worker` with TASKS_WORKER=true; inline otherwise) sends it, retries it,
falls back to the person's next channel. The claim and the outbox's unique (event,
recipient, channel) make each message go once, whoever runs the job and how often.

Pickup reminders
----------------
* A reminder is due at the close when the market day is near (the market closes after noon
  two days before its day, as markets do); a market that closes earlier reminds its buyers
  on the day before its day, from 8:00 (Bogotá). Card orders still awaiting payment at that
  time are left out; if the payment arrives within the card window, a later run reminds
  that buyer. Cancelled and expired orders never get one.
* Orders taken by phone by a Market Builder are reminded too: the person who collects is
  told on her number (SMS, `orders.notifications.buyer_recipients`).
* Markets whose (last) market day already passed are skipped: after a long outage, or on
  the first deployment, nobody is told about a market that is over.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from cms.markets import notifications, services
from cms.markets.cooperative import market_participants
from cms.models import MarketConfirmAsk, MarketEventPage, MarketOrder, MarketStock, MarketWatch
from cooperatives.models import Cooperative, VerificationStatus
from orders.models import ORDER_NOT_PLACED

logger = logging.getLogger(__name__)

REMINDER_HOUR = time(8, 0)  # a reminder that waited for the day before goes out from this hour


def markets_run_due(now=None) -> dict[str, int]:
    """The four passes of `manage.py close_markets` (module docstring); how many of each."""
    from market.messages.sending import messages_send_due

    now = now or timezone.now()
    done = {
        "asked": markets_confirm_due(now),
        "told": markets_open_due(now),
        "closed": markets_close_due(now),
    }
    done["sent"] = messages_send_due(now)
    return done


# --- Before the opening: confirm your quantities ----------------------------------------------


def markets_confirm_due(now=None) -> int:
    """Ask each cooperative of a market opening soon to confirm its quantities, once."""
    now = now or timezone.now()
    soon = now + timedelta(hours=settings.MINGA_CONFIRM_ASK_HOURS)
    events = (
        MarketEventPage.objects.originals()
        .live()
        .filter(opens_at__gt=now, opens_at__lte=soon)
        .order_by("opens_at", "pk")
    )
    asked = 0
    for event in events:
        unconfirmed = MarketStock.objects.filter(event=event, confirmed__isnull=True, planned__gt=0)
        cooperatives = (
            Cooperative.objects.filter(verification_status=VerificationStatus.VERIFIED)
            .filter(Exists(unconfirmed.filter(product__cooperative=OuterRef("pk"))))
            .exclude(Exists(MarketConfirmAsk.objects.filter(event=event, cooperative=OuterRef("pk"))))
            .order_by("name", "pk")
        )
        for cooperative in cooperatives:
            products = list(
                unconfirmed.filter(product__cooperative=cooperative)
                .order_by("product__name")
                .values_list("product__name", flat=True)
            )
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        MarketConfirmAsk.objects.create(event=event, cooperative=cooperative, asked_at=now)
                except IntegrityError:
                    continue  # another run asked it
                notifications.market_confirm(event=event, cooperative=cooperative, products=products)
            asked += 1
    return asked


# --- The opening: "Avísenme cuando abra" ------------------------------------------------------


def markets_open_due(now=None) -> int:
    """Tell everyone watching an open market that it opened: one message each."""
    now = now or timezone.now()
    untold = MarketWatch.objects.filter(event=OuterRef("pk"), told_at__isnull=True)
    events = (
        MarketEventPage.objects.originals()
        .live()
        .open_at(now)
        .filter(Exists(untold))
        .select_related("locale")
        .order_by("closes_at", "pk")
    )
    told = 0
    for event in events:
        watches = MarketWatch.objects.filter(event=event, told_at__isnull=True).select_related("user")
        for watch in watches.order_by("pk"):
            try:
                with transaction.atomic():
                    # Only this row's own column in the WHERE: PostgreSQL re-checks it on the
                    # row it waited for, so of two runs at once exactly one flips it.
                    if not MarketWatch.objects.filter(pk=watch.pk, told_at__isnull=True).update(told_at=now):
                        continue
                    notifications.market_open(event=event, watch=watch)
            except Exception:  # rolled back with its mark: the next run tries again
                logger.exception("Opening message of market watch %s not written", watch.pk)
                continue
            told += 1
    return told


# --- The close: each cooperative's list, each buyer's reminder --------------------------------


def _running(now):
    """Markets that were published and whose (last) market day has not passed."""
    return (
        MarketEventPage.objects.originals()
        .filter(first_published_at__isnull=False)
        .annotate(last_day=Coalesce("market_day_end", "market_day"))
        .filter(last_day__gte=timezone.localdate(now))
    )


def reminder_due_at(event: MarketEventPage) -> datetime:
    """When the buyers of `event` are reminded: at the close when the market day is near,
    else on the day before the market day at REMINDER_HOUR (module docstring)."""
    day_before = event.market_day - timedelta(days=1)
    tz = timezone.get_current_timezone()
    near = datetime.combine(day_before, time.min, tzinfo=tz) - timedelta(hours=12)
    if event.closes_at >= near:
        return event.closes_at
    return datetime.combine(day_before, REMINDER_HOUR, tzinfo=tz)


def markets_close_due(now=None) -> int:
    """Claim every closed market not yet notified, write its lists, then the reminders that
    are due. Returns how many markets this run claimed.

    Safe to run at any time, twice, or from two processes at once: see the module docstring.
    """
    now = now or timezone.now()
    claimed = 0
    due = _running(now).filter(closes_at__lte=now, closing__isnull=True).order_by("closes_at", "pk")
    for event in due:
        try:
            with transaction.atomic():
                if not services.market_close_claim(event=event, now=now):
                    continue
                for cooperative in market_participants(event):
                    notifications.market_list(event=event, cooperative=cooperative)
        except Exception:  # rolled back with its claim: the next run tries this market again
            logger.exception("Closing of market %s not written", event.pk)
            continue
        claimed += 1
    pickup_reminders_due(now)
    return claimed


def pickup_reminders_due(now=None) -> int:
    """Remind each buyer of a closed market whose reminder is due, once. Returns how many."""
    now = now or timezone.now()
    closed = _running(now).filter(closes_at__lte=now, closing__isnull=False)
    events = [event.pk for event in closed if reminder_due_at(event) <= now]
    if not events:
        return 0
    links = (
        MarketOrder.objects.filter(event_id__in=events, reminder_sent_at__isnull=True)
        .exclude(order__status__in=ORDER_NOT_PLACED)
        # An order taken by phone is reminded on the number of the person who collects.
        .exclude(Q(assisted_by__isnull=False) & Q(order__contact_phone=""))
        .order_by("order__placed_at", "pk")
        .values_list("pk", flat=True)
    )
    reminded = 0
    for link_id in list(links):
        try:
            with transaction.atomic():
                if not MarketOrder.objects.filter(pk=link_id, reminder_sent_at__isnull=True).update(
                    reminder_sent_at=now
                ):
                    continue  # another run reminded her
                link = MarketOrder.objects.select_related(
                    "order__buyer", "event__municipality", "event__locale", "slot__pickup_point"
                ).get(pk=link_id)
                notifications.pickup_reminder(link)
        except Exception:  # rolled back with its mark: the next run tries her reminder again
            logger.exception("Pickup reminder of market order %s not written", link_id)
            continue
        reminded += 1
    return reminded
