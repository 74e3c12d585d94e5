"""The markets' clock: who is told what before a market opens, when it opens and when it
closes, once however often it runs (`cms.markets.closing`)."""

from django.core.management.base import BaseCommand

from cms.markets.closing import markets_run_due


class Command(BaseCommand):
    help = (
        "Run every minute from a scheduler, e.g. cron: "
        "`* * * * * cd /srv/minga && .venv/bin/python manage.py close_markets`, or a systemd "
        "timer with OnCalendar=*:0/1. Each run: asks each verified cooperative of a market "
        "opening within MINGA_CONFIRM_ASK_HOURS to confirm its quantities; tells everyone who "
        "asked 'Avísenme' that a market opened; claims every published market whose closes_at "
        "passed (one MarketClosing row per market: the unique row is the lock) and writes each "
        "participating cooperative's list; reminds each buyer of her pickup or delivery "
        "(MarketOrder.reminder_sent_at), phone orders by SMS; then queues the outbox's retries "
        "that are due. Every message is an outbox row written with its claim, sent by the jobs "
        "worker (TASKS_WORKER=true) or inline: each at most once per event, person and "
        "channel, even with several servers running this at once. Markets whose market day "
        "already passed are skipped. Prints 'markets closed N' (-v 2: every count)."
    )

    def handle(self, *args, **options):
        done = markets_run_due()
        self.stdout.write(f"markets closed {done['closed']}")
        if options["verbosity"] >= 2:
            self.stdout.write(
                f"cooperatives asked {done['asked']}, watchers told {done['told']}, "
                f"retries queued {done['sent']}"
            )
