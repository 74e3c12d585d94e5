"""Staff see stuck and failed jobs and retry one: the Wagtail admin (Settings → Background
jobs) and `manage.py jobs`."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from market.models import MARKET_BUILDERS_GROUP, JobRetry, JobWorker
from tests.factories import UserFactory
from tests.market import jobs_tasks
from tests.market.test_jobs_worker import JOBS_IN_DATABASE

pytestmark = pytest.mark.django_db

LIST = "/cms/trabajos/"
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "smtplib.py", line 405, in getreply\n'
    "smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n"
)


@pytest.fixture
def jobs(settings):
    settings.TASKS = JOBS_IN_DATABASE
    settings.MINGA_JOBS_LEASE_SECONDS = 30
    settings.MINGA_JOBS_MAX_ATTEMPTS = 6
    now = timezone.now()
    failed = jobs_tasks.always_fails.enqueue()
    DBTaskResult.objects.filter(pk=failed.id).update(
        status="FAILED",
        finished_at=now,
        worker_ids=["w"] * 6,
        exception_class_path="smtplib.SMTPServerDisconnected",
        traceback=TRACEBACK,
    )
    stuck = jobs_tasks.add.enqueue(1, 2)
    DBTaskResult.objects.filter(pk=stuck.id).update(
        status="RUNNING", started_at=now - timedelta(minutes=3), worker_ids=["gone-worker"]
    )
    busy = jobs_tasks.add.enqueue(3, 4)
    DBTaskResult.objects.filter(pk=busy.id).update(
        status="RUNNING", started_at=now - timedelta(minutes=3), worker_ids=["live-worker"]
    )
    JobWorker.objects.create(
        worker_id="live-worker", host="worker-1", pid=42, started_at=now, seen_at=now, task_id=busy.id
    )
    return {"failed": str(failed.id), "stuck": str(stuck.id), "busy": str(busy.id)}


@pytest.fixture
def staff(db):
    """Staff with the Wagtail admin (Wagtail's "Editors" group), not a superuser."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def builder(db):
    """Has the Wagtail admin (Market Builders group) but is not staff."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name=MARKET_BUILDERS_GROUP))
    return user


def retry_url(task_id):
    return reverse("market_job_retry", args=[task_id])


def test_staff_see_stuck_and_failed_jobs_with_attempts_and_error(client, staff, jobs):
    client.force_login(staff)
    page = client.get(LIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Trabajos en segundo plano" in body
    assert jobs["failed"] in body and "always_fails" in body
    assert "smtplib.SMTPServerDisconnected: Connection unexpectedly closed" in body
    assert "6 / 6" in body
    assert jobs["stuck"] in body, "RUNNING, and its worker is gone"
    assert jobs["busy"] not in body, "a live worker runs it, for less than the stuck threshold"
    assert "worker-1" in body
    assert retry_url(jobs["failed"]) in body and retry_url(jobs["stuck"]) in body


def test_staff_retry_a_failed_job(client, staff, jobs):
    client.force_login(staff)
    response = client.post(retry_url(jobs["failed"]))
    assert response.status_code == 302 and response.url == LIST
    task = DBTaskResult.objects.get(pk=jobs["failed"])
    assert task.status == "READY" and task.run_after <= timezone.now()
    retry = JobRetry.objects.get(task_id=jobs["failed"])
    assert (retry.retried_by, retry.attempts_before) == (staff, 6)
    assert "está en la cola otra vez" in client.get(LIST).content.decode()


def test_a_job_a_live_worker_runs_is_not_retried(client, staff, jobs):
    client.force_login(staff)
    client.post(retry_url(jobs["busy"]))
    assert DBTaskResult.objects.get(pk=jobs["busy"]).status == "RUNNING"
    assert not JobRetry.objects.exists()


def test_retry_is_a_post(client, staff, jobs):
    client.force_login(staff)
    assert client.get(retry_url(jobs["failed"])).status_code == 405
    assert DBTaskResult.objects.get(pk=jobs["failed"]).status == "FAILED"


def test_retry_needs_the_csrf_token(staff, jobs):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(retry_url(jobs["failed"])).status_code == 403
    assert DBTaskResult.objects.get(pk=jobs["failed"]).status == "FAILED"


def test_admin_users_who_are_not_staff_get_404(client, builder, jobs):
    client.force_login(builder)
    assert client.get(LIST).status_code == 404
    assert client.post(retry_url(jobs["failed"])).status_code == 404
    assert DBTaskResult.objects.get(pk=jobs["failed"]).status == "FAILED"


def test_people_without_the_admin_are_sent_away(client, jobs):
    assert client.get(LIST).status_code == 302
    client.force_login(UserFactory())
    assert client.get(LIST).status_code in (302, 403)
    assert client.post(retry_url(jobs["failed"])).status_code in (302, 403)
    assert DBTaskResult.objects.get(pk=jobs["failed"]).status == "FAILED"


def test_the_settings_menu_shows_the_jobs_to_staff_only(client, staff, builder):
    client.force_login(staff)
    assert LIST in client.get("/cms/").content.decode()
    client.force_login(builder)
    assert LIST not in client.get("/cms/").content.decode()


# --- manage.py jobs -----------------------------------------------------------------------------


def test_jobs_list(jobs, capsys):
    call_command("jobs", "list")
    out = capsys.readouterr().out
    assert "live-worker" in out and "alive" in out
    assert jobs["failed"] in out and "attempts 6/6" in out
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in out
    assert jobs["stuck"] in out and jobs["busy"] not in out


def test_jobs_list_failed_only_and_check(jobs, capsys):
    call_command("jobs", "list", "--failed")
    out = capsys.readouterr().out
    assert jobs["failed"] in out and jobs["stuck"] not in out
    with pytest.raises(CommandError, match="stuck or failed"):
        call_command("jobs", "list", "--check")


def test_jobs_retry(jobs, capsys):
    call_command("jobs", "retry", jobs["stuck"])
    assert "queued again" in capsys.readouterr().out
    assert DBTaskResult.objects.get(pk=jobs["stuck"]).status == "READY"
    with pytest.raises(CommandError):
        call_command("jobs", "retry", jobs["busy"])
    with pytest.raises(CommandError, match="Not a job id"):
        call_command("jobs", "retry", "nonsense")


def test_jobs_prune(jobs, capsys):
    from market.jobs import effect_once
    from market.models import JobEffect

    effect_once("old:1", lambda: None)
    JobEffect.objects.update(started_at=timezone.now() - timedelta(days=100))
    effect_once("new:1", lambda: None)
    call_command("jobs", "prune")
    assert list(JobEffect.objects.values_list("key", flat=True)) == ["new:1"]
