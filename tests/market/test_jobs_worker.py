"""The jobs worker (market.jobs): retries with backoff, the lease reaper, recording results
only for the attempt it claimed, and surviving a database error in its loop. In-process, one
step at a time, with the clock pinned; the real processes are in tests/production/test_jobs_processes.py.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import OperationalError
from django_tasks_db.models import DBTaskResult

from market.jobs.worker import WORKER_LOST, JobsWorker, reap, requeue_lost
from market.models import JobRetry, JobWorker
from tests.market import jobs_tasks

JOBS_IN_DATABASE = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "jobs": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
}
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def jobs_db(settings, db):
    settings.TASKS = JOBS_IN_DATABASE
    settings.MINGA_JOBS_LEASE_SECONDS = 30
    settings.MINGA_JOBS_HEARTBEAT_SECONDS = 5
    settings.MINGA_JOBS_MAX_ATTEMPTS = 4
    settings.MINGA_JOBS_BACKOFF_SECONDS = 10
    settings.MINGA_JOBS_BACKOFF_MAX_SECONDS = 1000
    jobs_tasks.FAIL_ON.clear()
    yield
    jobs_tasks.FAIL_ON.clear()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def make_worker(worker_id="worker-a", **options) -> JobsWorker:
    worker = JobsWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="jobs",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        **options,
    )
    worker.register()  # so that step() starts no heartbeat thread: tests beat by hand
    return worker


def row(result) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=result.id)


def running_on(worker_id: str, *, started: datetime, seen: datetime | None, runs_it: bool = True):
    """A task claimed by `worker_id` at `started`, whose heartbeat was last `seen` (None: never)."""
    result = jobs_tasks.add.enqueue(1, 2)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", started_at=started, worker_ids=[worker_id]
    )
    if seen is not None:
        JobWorker.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "host": "h",
                "pid": 1,
                "started_at": started,
                "seen_at": seen,
                "task_id": result.id if runs_it else None,
            },
        )
    return row(result)


# --- retries --------------------------------------------------------------------------------------


def test_a_task_that_raises_is_retried_with_growing_delay_then_fails_for_good(jobs_db, clock):
    result = jobs_tasks.always_fails.enqueue()
    worker = make_worker()
    delays = []
    for attempt in (1, 2, 3):
        assert worker.step() == "ran"
        task = row(result)
        assert task.status == "READY" and len(task.worker_ids) == attempt
        assert task.exception_class_path == "smtplib.SMTPServerDisconnected"
        assert "Connection unexpectedly closed" in task.traceback
        delays.append(task.run_after - datetime.now(UTC))
        assert worker.step() == "idle", "a task waiting for its retry is not run before its time"
        clock.move_to(task.run_after)
    assert delays == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]

    assert worker.step() == "ran"  # the 4th and last attempt
    task = row(result)
    assert task.status == "FAILED" and len(task.worker_ids) == 4
    assert "SMTPServerDisconnected" in task.traceback and task.finished_at is not None
    clock.shift(timedelta(hours=2))
    assert worker.step() == "idle"


def test_a_retried_task_that_succeeds_records_its_value_and_clears_the_error(jobs_db, clock):
    result = jobs_tasks.add.enqueue(2, 3)
    DBTaskResult.objects.filter(pk=result.id).update(
        exception_class_path="smtplib.SMTPServerDisconnected", traceback="earlier", worker_ids=["old"]
    )
    worker = make_worker()
    assert worker.step() == "ran"
    task = row(result)
    assert (task.status, task.return_value, task.traceback) == ("SUCCESSFUL", 5, "")
    assert task.worker_ids == ["old", "worker-a"]
    assert JobWorker.objects.get(pk="worker-a").task_id is None


def test_claiming_names_the_task_in_the_workers_row_in_the_same_transaction(jobs_db, clock):
    result = jobs_tasks.add.enqueue(1, 1)
    worker = make_worker()
    claimed = worker.claim()
    assert claimed.pk == row(result).pk
    assert JobWorker.objects.get(pk="worker-a").task_id == claimed.pk
    worker.run_task(claimed)
    assert JobWorker.objects.get(pk="worker-a").task_id is None


def test_an_outcome_is_dropped_when_the_task_was_taken_up_by_another_worker(jobs_db, clock):
    result = jobs_tasks.add.enqueue(1, 1)
    slow = make_worker("slow")
    claimed = slow.claim()
    # Its lease expired meanwhile (no heartbeat): reaped, and claimed by another worker.
    JobWorker.objects.filter(pk="slow").update(seen_at=T0 - timedelta(minutes=5))
    clock.shift(timedelta(minutes=1))
    assert reap() == [claimed.pk]
    clock.shift(timedelta(seconds=10))
    fast = make_worker("fast")
    assert fast.claim().pk == claimed.pk

    slow.run_task(claimed)
    task = row(result)
    assert task.status == "RUNNING" and task.worker_ids == ["slow", "fast"], "the slow one recorded nothing"


def test_a_manual_retry_gives_a_fresh_budget_of_attempts(jobs_db, clock):
    result = jobs_tasks.always_fails.enqueue()
    worker = make_worker()
    for _attempt in range(4):
        worker.step()
        clock.shift(timedelta(hours=1))
    assert row(result).status == "FAILED"
    from market.jobs.staff import job_retry

    job_retry(result.id)
    assert JobRetry.objects.get(task_id=result.id).attempts_before == 4
    worker.step()
    task = row(result)
    assert task.status == "READY" and len(task.worker_ids) == 5, "attempt 1 of the new budget: retried"


# --- the reaper -----------------------------------------------------------------------------------


def test_a_task_whose_worker_stopped_beating_is_requeued_once_with_backoff(jobs_db, clock):
    task = running_on("dead", started=T0 - timedelta(minutes=2), seen=T0 - timedelta(seconds=31))
    assert reap() == [task.pk]
    task.refresh_from_db()
    assert task.status == "READY" and task.run_after == T0 + timedelta(seconds=10)
    assert task.exception_class_path == WORKER_LOST and "dead" in task.traceback
    assert reap() == [], "requeued once"

    clock.move_to(task.run_after)
    worker = make_worker()
    assert worker.step() == "ran"
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.worker_ids == ["dead", "worker-a"]


def test_two_reapers_at_once_requeue_an_attempt_once(jobs_db, clock):
    task = running_on("dead", started=T0 - timedelta(minutes=2), seen=None)
    # Both read the same RUNNING attempt before either writes.
    seen_by_one = DBTaskResult.objects.get(pk=task.pk)
    seen_by_two = DBTaskResult.objects.get(pk=task.pk)
    assert requeue_lost(seen_by_one, now=T0, conf=_conf()) is True
    assert requeue_lost(seen_by_two, now=T0, conf=_conf()) is False


def test_the_task_of_a_live_worker_is_left_alone(jobs_db, clock):
    long_task = running_on("alive", started=T0 - timedelta(hours=1), seen=T0 - timedelta(seconds=3))
    young = running_on("unknown", started=T0 - timedelta(seconds=20), seen=None)
    assert reap() == []
    assert DBTaskResult.objects.filter(pk__in=[long_task.pk, young.pk], status="RUNNING").count() == 2


def test_a_task_its_live_worker_no_longer_runs_is_requeued(jobs_db, clock):
    """Its result could not be recorded (the database was away): the worker moved on."""
    task = running_on("alive", started=T0 - timedelta(minutes=2), seen=T0, runs_it=False)
    assert reap() == [task.pk]


def test_a_vanished_worker_on_the_last_attempt_fails_the_task(jobs_db, clock):
    task = running_on("dead", started=T0 - timedelta(minutes=2), seen=None)
    DBTaskResult.objects.filter(pk=task.pk).update(worker_ids=["a", "b", "c", "dead"])
    assert reap() == [task.pk]
    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == WORKER_LOST


def test_every_worker_reaps_a_few_times_per_lease(jobs_db, clock):
    task = running_on("dead", started=T0 - timedelta(minutes=2), seen=None)
    worker = make_worker()
    worker.step()
    task.refresh_from_db()
    assert task.status == "READY"


# --- the loop survives the database -------------------------------------------------------------


def test_the_loop_reconnects_instead_of_dying(jobs_db, monkeypatch):
    result = jobs_tasks.add.enqueue(20, 22)
    worker = make_worker()
    real_claim = worker.claim
    failures = iter([OperationalError("terminating connection due to administrator command")] * 3)

    def flaky_claim():
        error = next(failures, None)
        if error:
            raise error
        return real_claim()

    sleeps = []
    monkeypatch.setattr(worker, "claim", flaky_claim)
    monkeypatch.setattr("market.jobs.worker.time.sleep", sleeps.append)
    worker.run()  # batch: returns once the queue is empty
    assert row(result).status == "SUCCESSFUL"
    assert sleeps[:3] == [0.5, 1.0, 2.0], "capped exponential backoff between reconnections"


def test_an_outcome_that_cannot_be_recorded_leaves_the_task_to_the_reaper(jobs_db, clock, monkeypatch):
    result = jobs_tasks.add.enqueue(1, 1)
    worker = make_worker()
    claimed = worker.claim()
    monkeypatch.setattr("market.jobs.worker.time.sleep", lambda s: clock.shift(timedelta(seconds=s)))

    def database_away(_row, _value):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(worker, "_apply_success", database_away)
    worker.run_task(claimed)
    assert row(result).status == "RUNNING" and worker.release_pending
    monkeypatch.undo()
    worker.step()  # the database is back: the worker lets go of the task
    assert JobWorker.objects.get(pk="worker-a").task_id is None
    clock.shift(timedelta(seconds=31))
    assert reap() == [claimed.pk]


def _conf():
    from market.jobs.conf import jobs_conf

    return jobs_conf()
