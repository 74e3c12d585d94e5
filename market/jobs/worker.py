"""The jobs worker: django-tasks-db's `Worker` with a heartbeat, a lease reaper, retries with
backoff, and a loop that reconnects instead of dying (design in `market/jobs/__init__.py`).

Run by `manage.py jobs_worker`. What it keeps from `db_worker`: the claim (`SELECT … FOR
UPDATE SKIP LOCKED`, an exclusive transaction on SQLite), the signals (`task_started`,
`task_finished`), the options, and the shutdown: SIGTERM/SIGINT let the current task finish,
then the worker exits; a second one interrupts the task, which is put back in the queue.
"""

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from traceback import format_exception

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks.utils import normalize_json
from django_tasks_db.compat import TaskContext, TaskResultStatus, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from market.jobs.conf import JobsConf, jobs_conf
from market.jobs.db import CONNECTION_ERRORS, close_old_connections, drop_connections
from market.models import JobRetry, JobWorker

logger = logging.getLogger("market.jobs")

RUNNING = TaskResultStatus.RUNNING
READY = TaskResultStatus.READY
FAILED = TaskResultStatus.FAILED
SUCCESSFUL = TaskResultStatus.SUCCESSFUL


class WorkerLost(Exception):
    """Recorded as a task's error when its worker vanished while running it."""


WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def new_worker_id() -> str:
    """Unique, and telling where the worker runs: "<host>-<pid>-<random>" (at most 64 characters)."""
    host = socket.gethostname().split(".")[0][:32] or "host"
    return f"{host}-{os.getpid()}-{get_random_string(12)}"


def attempts_used(task_id, worker_ids: list) -> int:
    """Runs of the task that count against MINGA_JOBS_MAX_ATTEMPTS: every claim, less those
    before the last staff retry."""
    before = JobRetry.objects.filter(task_id=task_id).values_list("attempts_before", flat=True).first() or 0
    return max(len(worker_ids) - before, 0)


def error_fields(exc: BaseException) -> dict:
    return {
        "exception_class_path": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "traceback": "".join(format_exception(exc)),
    }


def live_workers(worker_ids, *, now: datetime, conf: JobsConf) -> dict:
    """{worker_id: id of the task it runs, or None} for the workers seen within a lease."""
    return dict(
        JobWorker.objects.filter(pk__in=set(worker_ids), seen_at__gte=now - conf.lease_delta).values_list(
            "worker_id", "task_id"
        )
    )


def is_orphaned(task: DBTaskResult, live: dict, *, now: datetime, conf: JobsConf) -> bool:
    """A RUNNING task older than a lease that no live worker is running."""
    if task.status != RUNNING or task.started_at is None or task.started_at >= now - conf.lease_delta:
        return False
    last = task.worker_ids[-1] if task.worker_ids else None
    return last not in live or live[last] != task.pk


def reap(*, backend_name: str | None = None, now: datetime | None = None, limit: int = 500) -> list:
    """Take up again the RUNNING tasks whose worker vanished (or dropped them); returns their ids.

    Each is put back READY after a backoff delay, or FAILED when it has had all its attempts,
    by a conditional UPDATE on the attempt it saw (status RUNNING, same `started_at`): of two
    reapers at once, one wins and the other updates nothing.
    """
    conf = jobs_conf()
    now = now or timezone.now()
    running = DBTaskResult.objects.running().filter(started_at__lt=now - conf.lease_delta)
    if backend_name:
        running = running.filter(backend_name=backend_name)
    candidates = list(running.only("id", "status", "started_at", "worker_ids").order_by("started_at")[:limit])
    if not candidates:
        return []
    live = live_workers([t.worker_ids[-1] for t in candidates if t.worker_ids], now=now, conf=conf)
    reaped = []
    for task in candidates:
        if not is_orphaned(task, live, now=now, conf=conf):
            continue
        if requeue_lost(task, now=now, conf=conf):
            reaped.append(task.pk)
    return reaped


def requeue_lost(task: DBTaskResult, *, now: datetime, conf: JobsConf) -> bool:
    worker = task.worker_ids[-1] if task.worker_ids else "?"
    seen = JobWorker.objects.filter(pk=worker).values_list("seen_at", flat=True).first()
    message = (
        f"Worker {worker} stopped running this task (last heartbeat: "
        f"{seen.isoformat() if seen else 'none'}); it was taken up again at {now.isoformat()}.\n"
    )
    attempts = attempts_used(task.pk, task.worker_ids)
    same_attempt = DBTaskResult.objects.filter(pk=task.pk, status=RUNNING, started_at=task.started_at)
    fields = {"exception_class_path": WORKER_LOST, "traceback": message}
    if attempts >= conf.max_attempts:
        updated = same_attempt.update(status=FAILED, finished_at=now, **fields)
        if updated:
            logger.error(
                "Task %s failed for good: worker %s vanished (attempt %s)", task.pk, worker, attempts
            )
    else:
        updated = same_attempt.update(status=READY, run_after=now + conf.backoff_after(attempts), **fields)
        if updated:
            logger.warning(
                "Task %s taken up again: worker %s vanished (attempt %s)", task.pk, worker, attempts
            )
    return bool(updated)


@dataclass
class _Running:
    """The task this worker runs now, as claimed (to recognise it when recording its result)."""

    row: DBTaskResult
    worker_ids: list


class JobsWorker(Worker):
    """`db_worker`'s Worker with heartbeat, reaper, retries and reconnection."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conf = jobs_conf()
        self.conf.check()
        self.host = socket.gethostname()[:255]
        self.pid = os.getpid()
        self.started_at = timezone.now()
        self.registered = False
        self.release_pending = False  # our JobWorker.task_id still names a task we gave up recording
        self._last_reap = float("-inf")
        self._beat_stop = threading.Event()
        self._beat_thread: threading.Thread | None = None
        self._db_failures = 0

    # --- heartbeat ---------------------------------------------------------------------------

    def register(self, task_id=None) -> None:
        now = timezone.now()
        JobWorker.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "host": self.host,
                "pid": self.pid,
                "started_at": self.started_at,
                "seen_at": now,
                "task_id": task_id,
            },
        )
        self.registered = True

    def beat(self) -> None:
        """Say this worker is alive (the heartbeat thread calls it; tests may too)."""
        if not JobWorker.objects.filter(pk=self.worker_id).update(seen_at=timezone.now()):
            self.register()  # the row was pruned while the database was away

    def _heartbeat_loop(self) -> None:
        failing = False
        try:
            while not self._beat_stop.wait(self.conf.heartbeat):
                try:
                    self.beat()
                    if failing:
                        logger.info("Heartbeat of %s written again", self.worker_id)
                    failing = False
                except Exception as exc:
                    if not failing:
                        logger.warning("Heartbeat of %s failed (%s); retrying", self.worker_id, exc)
                    failing = True
                    drop_connections()
        finally:
            drop_connections()  # this thread's own connection

    def start_heartbeat(self) -> None:
        self._beat_stop.clear()
        self._beat_thread = threading.Thread(target=self._heartbeat_loop, name="jobs-heartbeat", daemon=True)
        self._beat_thread.start()

    def stop_heartbeat(self) -> None:
        self._beat_stop.set()
        if self._beat_thread is not None:
            self._beat_thread.join(timeout=self.conf.heartbeat + 5)
            self._beat_thread = None

    def unregister(self) -> None:
        """Leave: any task this worker still holds RUNNING is then taken up by the reaper."""
        JobWorker.objects.filter(pk=self.worker_id).delete()
        self.registered = False

    # --- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        logger.info(
            "Starting jobs worker worker_id=%s queues=%s lease=%ss",
            self.worker_id,
            ",".join(self.queue_names),
            self.conf.lease,
        )
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # spreads a thundering herd
        try:
            while self.running:
                try:
                    outcome = self.step()
                    self._db_failures = 0
                except CONNECTION_ERRORS as exc:
                    self._db_failures += 1
                    delay = min(0.5 * 2 ** (self._db_failures - 1), 30.0)
                    logger.warning("Database unavailable (%s); reconnecting in %.1f s", exc, delay)
                    drop_connections()
                    self.running_task = False
                    time.sleep(delay)
                    continue
                if outcome == "idle" and self.batch:
                    logger.info("No more tasks to run for worker_id=%s - exiting.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    logger.info("Ran %d tasks on worker_id=%s - exiting.", self._run_tasks, self.worker_id)
                    return
                if self.running and outcome == "idle":
                    time.sleep(self.interval)
        finally:
            self.stop_heartbeat()
            try:
                if self.registered:
                    self.unregister()
            except Exception:
                logger.warning("Could not unregister worker %s; its row will go stale", self.worker_id)
            drop_connections()

    def step(self) -> str:
        """One turn: check the connection, register, reap now and then, claim and run one task."""
        close_old_connections()
        if not self.registered:
            self.register()
            self.start_heartbeat()
        if self.release_pending:
            JobWorker.objects.filter(pk=self.worker_id).update(task_id=None)
            self.release_pending = False
        if time.monotonic() - self._last_reap >= self.conf.reap_every:
            reap(backend_name=self.backend_name)
            self._last_reap = time.monotonic()
        # From the claim on, SIGTERM lets the claimed task finish instead of exiting at once.
        self.running_task = True
        try:
            claimed = self.claim()
            if claimed is None:
                return "idle"
            self.run_task(claimed)
            return "ran"
        finally:
            self.running_task = False

    def claim(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task = tasks.get_locked()
            if task is None:
                return None
            task.claim(self.worker_id)
            # In the claim's transaction: the reaper never sees this task without its worker.
            if not JobWorker.objects.filter(pk=self.worker_id).update(
                task_id=task.pk, seen_at=timezone.now()
            ):
                self.register(task_id=task.pk)
        return task

    # --- running a task and recording what happened -------------------------------------------

    def run_task(self, db_task: DBTaskResult) -> None:
        claimed = _Running(row=db_task, worker_ids=list(db_task.worker_ids))
        try:
            task = db_task.task
            task_result = db_task.task_result
            backend_type = type(task.get_backend())
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                value = task.call(
                    TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs
                )
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            value = normalize_json(value)
        except Exception as exc:
            logger.warning("Task id=%s raised %s", db_task.pk, exc.__class__.__name__, exc_info=True)
            self._record(claimed, lambda row, exc=exc: self._apply_failure(row, exc))
        except BaseException as exc:
            # Interrupted (a second SIGTERM, Ctrl+C): back in the queue at once, then exit.
            self._record(claimed, lambda row, exc=exc: self._apply_requeue(row, exc, delay=None))
            raise
        else:
            self._record(claimed, lambda row: self._apply_success(row, value))
        finally:
            self._run_tasks += 1

    def _record(self, claimed: _Running, apply: Callable[[DBTaskResult], None]) -> bool:
        """Record a task's outcome if the task is still this worker's attempt, retrying through
        dropped connections for up to a lease. If that fails the task stays RUNNING and is
        released, so the reaper takes it up again (it runs twice: jobs are idempotent)."""
        waited, delay = 0.0, 0.25
        while True:
            try:
                drop_connections(only_broken=True)
                with transaction.atomic():
                    row = DBTaskResult.objects.select_for_update().filter(pk=claimed.row.pk).first()
                    ours = (
                        row is not None
                        and row.status == RUNNING
                        and list(row.worker_ids) == claimed.worker_ids
                    )
                    if ours:
                        apply(row)
                    JobWorker.objects.filter(pk=self.worker_id).update(task_id=None)
                if not ours:
                    logger.warning(
                        "Task %s was taken up by another worker meanwhile; this run's outcome is dropped",
                        claimed.row.pk,
                    )
                    return False
                if row.status in (SUCCESSFUL, FAILED):
                    self._send_finished(row)
                return True
            except CONNECTION_ERRORS as exc:
                if waited + delay > self.conf.lease:
                    logger.error(
                        "Could not record the outcome of task %s (%s); it will be taken up again",
                        claimed.row.pk,
                        exc,
                    )
                    self.release_pending = True
                    drop_connections()
                    return False
                logger.warning(
                    "Recording task %s: database unavailable (%s); again in %.2f s",
                    claimed.row.pk,
                    exc,
                    delay,
                )
                drop_connections()
                time.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    def _send_finished(self, row: DBTaskResult) -> None:
        try:
            task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
        except Exception:
            logger.exception("task_finished handlers failed for task %s", row.pk)

    def _apply_success(self, row: DBTaskResult, value) -> None:
        row.status = SUCCESSFUL
        row.finished_at = timezone.now()
        row.return_value = value
        row.exception_class_path = ""
        row.traceback = ""
        row.save(update_fields=["status", "finished_at", "return_value", "exception_class_path", "traceback"])

    def _apply_failure(self, row: DBTaskResult, exc: BaseException) -> None:
        attempts = attempts_used(row.pk, row.worker_ids)
        if attempts >= self.conf.max_attempts:
            row.status = FAILED
            row.finished_at = timezone.now()
            row.return_value = None
            for name, value in error_fields(exc).items():
                setattr(row, name, value)
            row.save(
                update_fields=["status", "finished_at", "return_value", "exception_class_path", "traceback"]
            )
            logger.error("Task %s failed for good after %s attempts", row.pk, attempts)
        else:
            self._apply_requeue(row, exc, delay=self.conf.backoff_after(attempts))

    def _apply_requeue(self, row: DBTaskResult, exc: BaseException, *, delay) -> None:
        """Back to READY, after `delay` (None: at once), keeping the error for staff to see."""
        now = timezone.now()
        row.status = READY
        row.run_after = now + delay if delay is not None else now
        for name, value in error_fields(exc).items():
            setattr(row, name, value)
        row.save(update_fields=["status", "run_after", "exception_class_path", "traceback"])
        if delay is not None:
            logger.info("Task %s will be retried at %s", row.pk, row.run_after.isoformat())
