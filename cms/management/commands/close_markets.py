"""Send the closing e-mails of every market that closed: once, however often it runs."""

from django.core.management.base import BaseCommand

from cms.markets.closing import markets_close_due


class Command(BaseCommand):
    help = (
        "Claim every published market whose closes_at passed and that was not notified yet "
        "(one MarketClosing row per market: the unique row is the lock), then e-mail each "
        "participating cooperative's managers what to bring with its list per buyer and "
        "slot, and each buyer a reminder of her pickup slot or delivery, exactly once "
        "(MarketOrder.reminder_sent_at). Idempotent: safe to run twice or from several "
        "servers at once. Markets whose market day already passed are skipped. Run it from "
        "a scheduler every 5 minutes, e.g. cron: "
        "`*/5 * * * * cd /srv/minga && .venv/bin/python manage.py close_markets`, or a "
        "systemd timer with OnCalendar=*:0/5. With TASKS_WORKER=true the e-mails are queued "
        "in the database and delivered by `manage.py db_worker`; otherwise they are sent "
        "inline by this command."
    )

    def handle(self, *args, **options):
        count = markets_close_due()
        self.stdout.write(f"markets closed {count}")
