"""`manage.py load_demo`: realistic, idempotent demo data for every app.

The project's apps depend one way (impact → cms → orders → catalog → cooperatives → market), so
`market` must not import the others. Instead each app may ship a `<app>/demo.py` with a
`load(*, stdout) -> None` function; this command imports those modules by name, in
dependency order, and calls them inside one transaction. Running it again changes nothing.

Demo accounts share one documented password (`market.demo.DEMO_PASSWORD`), so the command
refuses to run unless `settings.MINGA_ALLOW_DEMO_DATA` is true (it defaults to DEBUG).
"""

import importlib
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Dependency order: every app's demo data may rely on the data of the apps before it.
DEMO_APPS = ("market", "cooperatives", "catalog", "orders", "cms", "impact")


def _demo_module(app: str):
    """The app's `demo` module, or None when the app has none (errors inside it propagate)."""
    name = f"{app}.demo"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


class Command(BaseCommand):
    help = "Load demo cooperatives, producers, products and accounts (idempotent; never in production)."

    def handle(self, *args, **options):
        if not getattr(settings, "MINGA_ALLOW_DEMO_DATA", False):
            raise CommandError(
                "Demo data is disabled: its accounts share a published password. "
                "Set MINGA_ALLOW_DEMO_DATA=true (development only) to load it."
            )
        started = time.monotonic()
        # Every photo saved runs a few inline Wagtail tasks, each logged twice at INFO.
        tasks_log = logging.getLogger("django_tasks")
        tasks_level = tasks_log.level
        if options["verbosity"] < 2:
            tasks_log.setLevel(logging.WARNING)
        try:
            with transaction.atomic():
                for app in DEMO_APPS:
                    module = _demo_module(app)
                    if module is None:
                        continue
                    self.stdout.write(f"Demo data: {app}")
                    module.load(stdout=self.stdout)
        finally:
            tasks_log.setLevel(tasks_level)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f} s."))
