"""`manage.py jobs`: what staff see of the background jobs, from a shell.

    manage.py jobs list [--stuck] [--failed] [--retrying] [--check]
    manage.py jobs retry <task id>
    manage.py jobs prune [--effects-days 90]

`list` shows the live workers and the jobs that need a look (all three kinds without a flag);
with `--check` it exits 1 when a job is stuck or failed (for monitoring). `retry` puts a
failed, stuck or waiting job back in the queue with a fresh budget of attempts. `prune` drops
the effect ledger's rows older than N days (a job retried after that may repeat its effects)
and the rows of workers gone for a day.
"""

import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from market.jobs import staff
from market.models import JobEffect, JobWorker


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


class Command(BaseCommand):
    help = "List stuck, failed and retrying background jobs, retry one, or prune the job ledgers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Live workers, and the jobs that need a look.")
        listing.add_argument(
            "--stuck", action="store_true", help="RUNNING, no live worker runs them (or too long)"
        )
        listing.add_argument("--failed", action="store_true", help="FAILED for good")
        listing.add_argument("--retrying", action="store_true", help="failed, waiting for another attempt")
        listing.add_argument("--check", action="store_true", help="exit 1 if a job is stuck or failed")
        retry = sub.add_parser("retry", help="Put a job back in the queue, to run now.")
        retry.add_argument("task_id")
        prune = sub.add_parser("prune", help="Drop old effect-ledger rows and the rows of workers long gone.")
        prune.add_argument("--effects-days", type=int, default=90)

    def handle(self, *args, action, **options):
        return getattr(self, f"_{action}")(**options)

    def _list(self, *, stuck, failed, retrying, check, **_options):
        if not (stuck or failed or retrying):
            stuck = failed = retrying = True
        now = timezone.now()
        self.stdout.write("Workers:")
        seen = staff.workers(now)
        for worker, alive in seen:
            state = "alive" if alive else "gone"
            where = f"{worker.host}:{worker.pid}"
            self.stdout.write(f"  {worker.worker_id}  {where}  {state}  last seen {_when(worker.seen_at)}")
        if not seen:
            self.stdout.write("  none")
        waiting = staff.waiting_too_long(now)
        if waiting:
            warning = f"{waiting} job(s) due for more than 5 minutes: is a worker running?"
            self.stdout.write(self.style.WARNING(warning))
        found = {}
        for kind, wanted, rows in (
            ("stuck", stuck, staff.stuck_jobs),
            ("failed", failed, staff.failed_jobs),
            ("retrying", retrying, staff.retrying_jobs),
        ):
            if not wanted:
                continue
            found[kind] = rows(now)
            self.stdout.write(f"{kind.capitalize()} ({len(found[kind])}):")
            for row in found[kind]:
                when = {
                    "stuck": f"started {_when(row.started_at)} on {row.worker or '-'}",
                    "failed": f"failed {_when(row.finished_at)}",
                    "retrying": f"next try {_when(row.run_after)}",
                }[kind]
                attempts = f"attempts {row.attempts}/{row.max_attempts}"
                self.stdout.write(f"  {row.id}  {row.task_path}  {row.status}  {attempts}  {when}")
                if row.error:
                    self.stdout.write(f"      {row.error}")
        if check and (found.get("stuck") or found.get("failed")):
            raise CommandError("Some jobs are stuck or failed.")

    def _retry(self, *, task_id, **_options):
        try:
            task_id = uuid.UUID(task_id)
        except ValueError as error:
            raise CommandError(f"Not a job id: {task_id}") from error
        try:
            task = staff.job_retry(task_id)
        except staff.JobRetryError as error:
            raise CommandError(error.message) from error
        self.stdout.write(f"Job {task.pk} ({task.task_path}) queued again.")

    def _prune(self, *, effects_days, **_options):
        now = timezone.now()
        effects, _ = JobEffect.objects.filter(started_at__lt=now - timedelta(days=effects_days)).delete()
        gone, _ = JobWorker.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
        self.stdout.write(f"Pruned {effects} effect(s) and {gone} worker(s).")
