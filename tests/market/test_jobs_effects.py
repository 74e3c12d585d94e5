"""The effect ledger (market.jobs.effect_once): a job run twice does what it does once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from market.jobs import EffectInProgress, effect_done, effect_once
from market.jobs.effects import effect_key
from market.models import BuyerOrganization, JobEffect, Municipality
from market.notifications import organization_registered
from tests.factories import UserFactory
from tests.market import jobs_tasks
from tests.market.test_jobs_worker import JOBS_IN_DATABASE, make_worker

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _lease(settings):
    settings.MINGA_JOBS_LEASE_SECONDS = 30
    jobs_tasks.FAIL_ON.clear()
    yield
    jobs_tasks.FAIL_ON.clear()


def test_an_effect_runs_once_per_key():
    calls = []
    assert effect_once("k:1:a@example.org:email", lambda: calls.append(1)) is True
    assert effect_once("k:1:a@example.org:email", lambda: calls.append(2)) is False
    assert calls == [1]
    assert effect_done("k:1:a@example.org:email") and not effect_done("k:1:b@example.org:email")
    row = JobEffect.objects.get()
    assert row.state == "done" and row.done_at is not None


def test_an_effect_that_raises_is_not_recorded_and_is_done_by_the_next_run():
    def refused():
        raise ConnectionRefusedError("smtp down")

    with pytest.raises(ConnectionRefusedError):
        effect_once("k:2:a@example.org:email", refused)
    assert not JobEffect.objects.exists()
    calls = []
    assert effect_once("k:2:a@example.org:email", lambda: calls.append(1)) is True
    assert calls == [1]


def test_an_effect_another_run_is_doing_now_is_not_done_twice():
    with time_machine.travel(T0, tick=False):
        JobEffect.objects.create(
            key="k:3:a@example.org:email", state="started", started_at=T0 - timedelta(seconds=5)
        )
        with pytest.raises(EffectInProgress):
            effect_once("k:3:a@example.org:email", lambda: pytest.fail("done twice"))


def test_a_run_killed_between_claim_and_done_is_redone_after_a_lease_at_least_once():
    """The crash window: nobody knows whether the message left; by default it is sent again."""
    with time_machine.travel(T0, tick=False):
        JobEffect.objects.create(
            key="k:4:a@example.org:email", state="started", started_at=T0 - timedelta(seconds=31)
        )
        calls = []
        assert effect_once("k:4:a@example.org:email", lambda: calls.append(1)) is True
        assert calls == [1] and JobEffect.objects.get().state == "done"


def test_at_most_once_gives_an_interrupted_effect_up():
    with time_machine.travel(T0, tick=False):
        JobEffect.objects.create(key="k:5:charge", state="started", started_at=T0 - timedelta(minutes=5))
        assert effect_once("k:5:charge", lambda: pytest.fail("charged twice"), at_most_once=True) is False


def test_long_keys_are_stored_by_digest_and_stay_distinct():
    long_a = "organization_registered:1:" + "a" * 300 + "@example.org:email"
    long_b = "organization_registered:1:" + "a" * 299 + "b@example.org:email"
    assert len(effect_key(long_a)) == 255 and effect_key(long_a) != effect_key(long_b)
    assert effect_once(long_a, lambda: None) and effect_once(long_b, lambda: None)
    assert not effect_once(long_a, lambda: pytest.fail("twice"))


def _organization():
    return BuyerOrganization.objects.create(
        kind="hotel",
        legal_name="Hotel Río Cali",
        nit="890301880-6",
        billing_address="Av. 6N # 23-50",
        municipality=Municipality.objects.get(code="76001"),
    )


def test_organization_registered_run_twice_writes_to_each_staff_member_once(
    django_capture_on_commit_callbacks,
):
    UserFactory(email="admin@minga.co", is_staff=True)
    UserFactory(email="revisora@minga.co", is_staff=True)
    organization = _organization()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            organization_registered(organization)
        with transaction.atomic():
            organization_registered(organization)
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@minga.co", "revisora@minga.co"]


def test_a_job_that_failed_half_way_sends_only_the_rest_when_retried(settings):
    """The finding: the buyer's e-mail had left, the cooperative's had not. The retry sends the
    cooperative's, and the buyer gets one message, not two."""
    settings.TASKS = JOBS_IN_DATABASE
    settings.MINGA_JOBS_BACKOFF_SECONDS = 0
    jobs_tasks.FAIL_ON.add("cooperativa@example.org")
    result = jobs_tasks.tell.enqueue(7, ["compradora@example.org", "cooperativa@example.org"])
    worker = make_worker()
    worker.step()
    assert [m.to for m in mail.outbox] == [["compradora@example.org"]]
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"

    jobs_tasks.FAIL_ON.clear()  # the SMTP server is back
    worker.step()
    assert [m.to for m in mail.outbox] == [["compradora@example.org"], ["cooperativa@example.org"]]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    worker.step()  # nothing left to run
    assert len(mail.outbox) == 2
