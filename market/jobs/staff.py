"""What staff see of the jobs (stuck, failed, waiting to be retried, the live workers) and the
one thing they do: retry a job. Used by the Wagtail admin view and `manage.py jobs`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult, get_date_max

from market.jobs.conf import jobs_conf
from market.jobs.worker import READY, RUNNING, SUCCESSFUL, is_orphaned, live_workers
from market.models import JobRetry, JobWorker

LIST_LIMIT = 100


class JobRetryError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class JobRow:
    id: str
    task_path: str
    status: str
    attempts: int
    max_attempts: int
    error: str
    enqueued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime | None
    worker: str
    worker_alive: bool

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]


def error_line(traceback: str, exception_class_path: str = "") -> str:
    """The line that says what went wrong: the traceback's last one ("SMTPServerDisconnected: …")."""
    lines = [line.strip() for line in (traceback or "").splitlines() if line.strip()]
    text = lines[-1] if lines else exception_class_path
    return text if len(text) <= 200 else text[:199] + "…"


def _rows(tasks, *, now: datetime) -> list[JobRow]:
    conf = jobs_conf()
    tasks = list(tasks[:LIST_LIMIT])
    live = live_workers([t.worker_ids[-1] for t in tasks if t.worker_ids], now=now, conf=conf)
    retries = dict(
        JobRetry.objects.filter(task_id__in=[t.pk for t in tasks])
        .order_by("task_id", "retried_at", "pk")
        .values_list("task_id", "attempts_before")
    )  # dict() keeps the last value per task: the latest retry
    rows = []
    for t in tasks:
        worker = t.worker_ids[-1] if t.worker_ids else ""
        rows.append(
            JobRow(
                id=str(t.pk),
                task_path=t.task_path,
                status=t.status,
                attempts=max(len(t.worker_ids) - retries.get(t.pk, 0), 0),
                max_attempts=conf.max_attempts,
                error=error_line(t.traceback, t.exception_class_path),
                enqueued_at=t.enqueued_at,
                started_at=t.started_at,
                finished_at=t.finished_at,
                run_after=None if t.run_after == get_date_max() else t.run_after,
                worker=worker,
                worker_alive=live.get(worker, "gone") == t.pk,
            )
        )
    return rows


def stuck_jobs(now: datetime | None = None) -> list[JobRow]:
    """RUNNING tasks no live worker runs (older than a lease: the reaper's, or nobody's if no
    worker runs), and those running longer than MINGA_JOBS_STUCK_MINUTES even on a live one."""
    now = now or timezone.now()
    conf = jobs_conf()
    running = list(
        DBTaskResult.objects.running()
        .filter(started_at__lt=now - conf.lease_delta)
        .order_by("started_at")[:500]
    )
    live = live_workers([t.worker_ids[-1] for t in running if t.worker_ids], now=now, conf=conf)
    too_long = now - timedelta(minutes=conf.stuck_minutes)
    stuck = [t for t in running if is_orphaned(t, live, now=now, conf=conf) or t.started_at < too_long]
    return _rows(stuck, now=now)


def failed_jobs(now: datetime | None = None) -> list[JobRow]:
    return _rows(DBTaskResult.objects.failed().order_by("-finished_at"), now=now or timezone.now())


def retrying_jobs(now: datetime | None = None) -> list[JobRow]:
    """READY tasks that failed at least once and wait for their next attempt."""
    tasks = DBTaskResult.objects.filter(status=READY).exclude(exception_class_path="").order_by("run_after")
    return _rows(tasks, now=now or timezone.now())


def waiting_too_long(now: datetime | None = None, minutes: int = 5) -> int:
    """READY tasks due for more than `minutes`: no worker is taking them (is one running?)."""
    now = now or timezone.now()
    since = now - timedelta(minutes=minutes)
    return (
        DBTaskResult.objects.filter(status=READY)
        .filter(Q(run_after=get_date_max(), enqueued_at__lt=since) | Q(run_after__lt=since))
        .count()
    )


def workers(now: datetime | None = None) -> list[tuple[JobWorker, bool]]:
    """Registered workers, newest heartbeat first, each with whether it is alive (seen within a lease)."""
    now = now or timezone.now()
    lease = jobs_conf().lease_delta
    return [(w, w.seen_at >= now - lease) for w in JobWorker.objects.order_by("-seen_at")[:50]]


def job_retry(task_id, *, by=None, now: datetime | None = None) -> DBTaskResult:
    """Put a failed, stuck or waiting task back in the queue, to run now with a fresh budget of
    attempts. Refused for a task that succeeded, or that a live worker is running."""
    now = now or timezone.now()
    with transaction.atomic():
        task = DBTaskResult.objects.select_for_update().filter(pk=task_id).first()
        if task is None:
            raise JobRetryError(_("This job does not exist (any more)."))
        if task.status == SUCCESSFUL:
            raise JobRetryError(_("This job has already succeeded."))
        if task.status == RUNNING:
            live = live_workers(task.worker_ids[-1:], now=now, conf=jobs_conf())
            if task.worker_ids and live.get(task.worker_ids[-1], "gone") == task.pk:
                message = _("A live worker is running this job. If it hangs, restart that worker.")
                raise JobRetryError(message)
        updated = DBTaskResult.objects.filter(
            pk=task.pk, status=task.status, started_at=task.started_at
        ).update(status=READY, run_after=now, finished_at=None)
        if not updated:  # SQLite has no row lock: it changed under us
            raise JobRetryError(_("This job changed meanwhile; look again."))
        JobRetry.objects.create(
            task_id=task.pk, attempts_before=len(task.worker_ids), retried_by=by, retried_at=now
        )
    task.refresh_from_db()
    return task
