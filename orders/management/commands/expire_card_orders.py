"""Release the stock of unpaid card orders whose payment window passed, webhook or not."""

from django.core.management.base import BaseCommand

from orders.payments.card_expiry import card_orders_expire


class Command(BaseCommand):
    help = (
        "Expire every card order still awaiting payment after its payment window "
        "(payment_expires_at) and give its stock back, even when Stripe's "
        "checkout.session.expired webhook never arrived. An order whose Checkout Session "
        "was paid at the last second is authorised instead; an order whose session cannot "
        "be checked (Stripe unreachable) waits for the next run. It also retries capturing "
        "or releasing card payments left pending by a failed task. Idempotent: safe to run "
        "at any time and from several servers. Run it from a scheduler every 5 minutes, e.g. "
        "cron: `*/5 * * * * cd /srv/minga && .venv/bin/python manage.py expire_card_orders`, "
        "or a systemd timer with OnCalendar=*:0/5."
    )

    def handle(self, *args, **options):
        counts = card_orders_expire()
        self.stdout.write(", ".join(f"{name} {count}" for name, count in counts.items()))
