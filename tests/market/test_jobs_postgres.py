"""The reaper under real row locks (PostgreSQL): two reapers at once requeue an attempt once."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from market.jobs.conf import jobs_conf
from market.jobs.worker import reap, requeue_lost
from tests.market import jobs_tasks
from tests.market.test_jobs_worker import JOBS_IN_DATABASE

# serialized_rollback: the data migrations (municipalities, groups) are restored for the tests after.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_reapers_in_two_connections_requeue_an_attempt_once(settings):
    settings.TASKS = JOBS_IN_DATABASE
    settings.MINGA_JOBS_LEASE_SECONDS = 30
    result = jobs_tasks.add.enqueue(1, 2)
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", started_at=timezone.now() - timedelta(minutes=2), worker_ids=["dead"]
    )
    snapshot = DBTaskResult.objects.get(pk=result.id)  # what both reapers read
    conf, now = jobs_conf(), timezone.now()
    first_updated = threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = requeue_lost(snapshot, now=now, conf=conf)
                first_updated.set()
                time.sleep(0.5)  # holds the row lock while the second one tries
        finally:
            connections.close_all()

    def second():
        try:
            first_updated.wait(10)
            outcomes["second"] = requeue_lost(snapshot, now=now, conf=conf)  # waits for the lock
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert outcomes == {"first": True, "second": False}
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "READY"
    assert reap() == []
