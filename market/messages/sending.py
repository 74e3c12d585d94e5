"""The worker's side of the outbox: send each queued message once, retry, fall back.

`message_send` (a task on the "jobs" backend, enqueued after the event commits) claims the
row with a conditional UPDATE (queued → sending, attempts + 1): two runs of the task, or a
task and the sweep, never both send it. Then:

* sent: the provider's id is kept; the person's standby messages for the event are not needed.
* a transient error (timeout, 5xx): back to queued with a backoff (`send_after`); after
  MINGA_MESSAGE_ATTEMPTS attempts it fails and the next channel is queued.
* a permanent error (a landline, an unapproved template): failed at once, next channel queued.
* a run that finds the row "sending" for longer than a lease: its worker died while talking
  to the provider. The provider is asked whether it took the message (Twilio lists the
  messages to her number): if it did, the row is sent with its id; if not, it is sent now.
  SMTP cannot be asked: the e-mail goes again with the same Message-ID, which mail clients
  show once. Once per event, recipient and channel, as the person sees it.

`messages_send_due` (run by `manage.py close_markets` every minute, and by tests) enqueues
what is due: retries whose backoff is over and rows whose task was lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task, task_backends

from market.jobs import EffectInProgress
from market.jobs.conf import jobs_conf
from market.messages.providers import PermanentError, TransientError, provider_for
from market.models import Message, MessageState

logger = logging.getLogger("market.messages")

LOST_AFTER = timedelta(minutes=1)


def enqueue(ids: list[int]) -> None:
    """One task for the messages of one event (a worker sends them one by one)."""
    if len(ids) == 1:
        message_send.enqueue(ids[0])
    elif ids:
        messages_send.enqueue(list(ids))


@task(backend="jobs")
def message_send(message_id: int) -> None:
    message_deliver(message_id=message_id)


@task(backend="jobs")
def messages_send(message_ids: list[int]) -> None:
    """Send each; one being sent by another run right now is left to it (the sweep checks)."""
    busy = []
    for pk in message_ids:
        try:
            message_deliver(message_id=pk)
        except EffectInProgress:
            busy.append(pk)
    if busy:
        raise EffectInProgress(f"messages {busy}")  # retried later: by then they are done


def message_deliver(*, message_id: int) -> str:
    """Send one message if it is due; returns its state afterwards."""
    now = timezone.now()
    row = Message.objects.filter(pk=message_id).values("state", "sending_at", "send_after").first()
    if row is None:
        return ""
    if row["state"] == MessageState.SENDING:
        if row["sending_at"] and row["sending_at"] > now - jobs_conf().lease_delta:
            raise EffectInProgress(f"message {message_id}")  # another run is sending it now
        return _take_over(message_id, row["sending_at"], now)
    if row["state"] != MessageState.QUEUED or (row["send_after"] and row["send_after"] > now):
        return row["state"]
    claimed = Message.objects.filter(pk=message_id, state=MessageState.QUEUED).update(
        state=MessageState.SENDING, sending_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return Message.objects.get(pk=message_id).state
    return _send(Message.objects.get(pk=message_id))


def _take_over(message_id: int, seen_at, now) -> str:
    """Its worker died while sending. Ask the provider whether it took the message: if so it
    is sent (its id kept), else it is sent now. Twilio can be asked; SMTP cannot, so an e-mail
    goes again with the same Message-ID, which mail clients show once."""
    message = Message.objects.get(pk=message_id)
    try:
        found = provider_for(message.channel).already_sent(message)
    except TransientError as exc:
        raise EffectInProgress(f"message {message_id}: {exc}") from exc  # ask again later
    taken = Message.objects.filter(pk=message_id, state=MessageState.SENDING, sending_at=seen_at)
    if found:
        if taken.update(state=MessageState.SENT, sent_at=now, provider_id=found[:100], error=""):
            _skip_standby(message)
        return MessageState.SENT
    if not taken.update(sending_at=now, attempts=F("attempts") + 1, error="interrupted: sent again"):
        return Message.objects.get(pk=message_id).state  # another run took it over first
    logger.warning("Message %s was interrupted while sending; the provider has none: sending it", message_id)
    return _send(Message.objects.get(pk=message_id))


def _skip_standby(message: Message) -> None:
    Message.objects.filter(
        event=message.event, recipient=message.recipient, state=MessageState.STANDBY
    ).update(state=MessageState.SKIPPED)


def _send(message: Message) -> str:
    try:
        provider_id = provider_for(message.channel).send(message)
    except PermanentError as exc:
        logger.warning("Message %s failed for good on %s: %s", message.pk, message.channel, exc)
        _fail(message.pk, str(exc))
        return MessageState.FAILED
    except TransientError as exc:
        return _retry_later(message, str(exc))
    Message.objects.filter(pk=message.pk, state=MessageState.SENDING).update(
        state=MessageState.SENT, sent_at=timezone.now(), provider_id=provider_id[:100], error=""
    )
    _skip_standby(message)
    return MessageState.SENT


def _retry_later(message: Message, error: str) -> str:
    if message.attempts >= settings.MINGA_MESSAGE_ATTEMPTS:
        _fail(message.pk, f"{error} (after {message.attempts} attempts)")
        return MessageState.FAILED
    delay = timedelta(seconds=settings.MINGA_MESSAGE_BACKOFF_SECONDS * 2 ** (message.attempts - 1))
    after = timezone.now() + delay
    Message.objects.filter(pk=message.pk, state=MessageState.SENDING).update(
        state=MessageState.QUEUED, send_after=after, error=error[:500]
    )
    backend = task_backends[message_send.backend]
    if backend.supports_defer:
        message_send.using(run_after=after).enqueue(message.pk)
    return MessageState.QUEUED


def _fail(message_id: int, error: str, *, expected: str = MessageState.SENDING) -> None:
    with transaction.atomic():
        failed = Message.objects.filter(pk=message_id, state=expected).update(
            state=MessageState.FAILED, error=error[:500]
        )
        if failed:
            fallback_queue(Message.objects.get(pk=message_id))


def fallback_queue(failed: Message) -> Message | None:
    """Queue the person's next channel for this event, if she has one on standby."""
    nxt = (
        Message.objects.filter(event=failed.event, recipient=failed.recipient, state=MessageState.STANDBY)
        .order_by("pk")
        .first()
    )
    if nxt is None:
        return None
    taken = Message.objects.filter(pk=nxt.pk, state=MessageState.STANDBY, fallback_of__isnull=True).update(
        state=MessageState.QUEUED, fallback_of=failed
    )
    if not taken:
        return None
    transaction.on_commit(lambda: message_send.enqueue(nxt.pk))
    return nxt


def message_resend(*, message: Message) -> Message:
    """Staff send a failed message again: the same row, queued again, once more attempts."""
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, state=MessageState.FAILED).update(
            state=MessageState.QUEUED, attempts=0, send_after=None, error=""
        )
        if updated:
            transaction.on_commit(lambda: message_send.enqueue(message.pk))
    message.refresh_from_db()
    return message


def messages_send_due(now=None) -> int:
    """Enqueue queued messages that are due and not just written (their task may be lost).

    A row written less than a minute ago has its own task on the way; a retry's own delayed
    task may also run: the claim makes the second one a no-op.
    """
    now = now or timezone.now()
    due = list(
        Message.objects.filter(state=MessageState.QUEUED)
        .filter(Q(send_after__lte=now) | Q(send_after__isnull=True, created_at__lte=now - LOST_AFTER))
        .values_list("pk", flat=True)[:500]
    )
    enqueue(due)
    stuck = Message.objects.filter(state=MessageState.SENDING, sending_at__lt=now - jobs_conf().lease_delta)
    for pk in stuck.values_list("pk", flat=True)[:500]:
        message_send.enqueue(pk)  # taken over: asked of the provider, sent if it has none
    return len(due)
