"""An order's e-mails leave once per event and recipient, however often the job runs.

A task is one event: run again (its worker died half-way, the reaper took it up), it sends
only what had not left yet; a new event (a second weight change) is a new task and is sent.
"""

from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django_tasks.base import TaskContext

from orders import notifications
from tests.factories import MembershipFactory, UserFactory, make_product
from tests.orders.factories import place_order


def _run(task, task_id, *args):
    """Run `task` as the worker would for the queued task `task_id`."""
    context = TaskContext(task_result=SimpleNamespace(id=task_id, task=task))
    task.call(context, *args)


@pytest.fixture
def order(db, cooperative):
    MembershipFactory(cooperative=cooperative, role="manager", user__email="gerente@example.org")
    buyer = UserFactory(email="rosa@example.org")
    return place_order(buyer, [(make_product(cooperative, name="Panela"), "2")])


def test_the_order_placed_job_run_twice_sends_each_message_once(order):
    mail.outbox.clear()
    _run(notifications.order_placed, "tarea-1", order.pk)
    _run(notifications.order_placed, "tarea-1", order.pk)
    assert sorted(m.to[0] for m in mail.outbox) == ["gerente@example.org", "rosa@example.org"]


def test_a_job_that_died_after_the_buyers_message_sends_only_the_rest(order, monkeypatch):
    mail.outbox.clear()
    sent = []
    real_send = EmailMultiAlternatives.send

    def send_then_die(message, *args, **kwargs):
        if "gerente@example.org" in message.to and not sent:
            sent.append("died")
            raise ConnectionResetError("the worker's connection dropped")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_then_die)
    with pytest.raises(ConnectionResetError):
        _run(notifications.order_placed, "tarea-2", order.pk)
    assert [m.to for m in mail.outbox] == [["rosa@example.org"]]
    _run(notifications.order_placed, "tarea-2", order.pk)  # the retry
    assert sorted(m.to[0] for m in mail.outbox) == ["gerente@example.org", "rosa@example.org"]


def test_two_events_of_one_order_are_two_messages(order):
    mail.outbox.clear()
    _run(notifications.order_changed, "cambio-1", order.pk)
    _run(notifications.order_changed, "cambio-2", order.pk)
    _run(notifications.order_changed, "cambio-2", order.pk)
    assert [m.to for m in mail.outbox] == [["rosa@example.org"], ["rosa@example.org"]]
