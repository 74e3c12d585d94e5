"""The outbox: `notify` writes one row per message, in the transaction of the event.

    notify(ORDER_READY, event=f"order_ready:{order.pk}", about=f"order:{order.pk}",
           to=[Recipient.of(order.buyer, language=order.language)], context={...})

Call it inside the `transaction.atomic` of the event: the rows commit or roll back with it,
and the worker sends them after the commit (`market.messages.sending`). For each recipient the
text is rendered now, in her language, for every channel she has (her first channel queued,
the others on standby: a failure on one sends the next). The unique constraint on (event,
recipient, channel) makes a second `notify` for the same event a no-op: a message is written,
and sent, at most once per event, recipient and channel.

One event often tells several people at once (a checkout: the buyer, and each cooperative's
managers). Inside `with batch():` every `notify` is kept and written at the end of the
block, together: one query for everybody's opt-outs and one insert for every row, instead
of those per call.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from asgiref.local import Local
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from market.messages.recipients import Recipient, stopped_for
from market.messages.sms import gsm_text
from market.messages.whatsapp_templates import TEMPLATES, fill, variables_problem
from market.models import Message, MessageChannel, MessageState
from market.text import one_line


@dataclass(frozen=True)
class Notice:
    """One kind of message. Templates: `<email>.txt` and `.html` for e-mail, `sms` for SMS,
    `whatsapp` the name of an approved template (`whatsapp_templates.py`)."""

    kind: str
    subject: object  # a lazy translation, with %(…)s filled from `subject_fields`
    email: str = ""
    sms: str = ""
    whatsapp: str = ""

    @classmethod
    def named(
        cls,
        app: str,
        kind: str,
        subject,
        whatsapp: str = "",
        *,
        email: str | None = None,
        sms: str | None = None,
    ) -> "Notice":
        """A notice whose templates follow the convention: `<app>/email/<kind>` (.txt, .html)
        and `<app>/messages/<kind>.sms.txt`; `email=""` or `sms=""` leaves that channel out,
        another name shares a template."""
        email = kind if email is None else email
        sms = kind if sms is None else sms
        return cls(
            kind=kind,
            subject=subject,
            email=f"{app}/email/{email}" if email else "",
            sms=f"{app}/messages/{sms}.sms.txt" if sms else "",
            whatsapp=whatsapp,
        )

    def channels(self) -> set[str]:
        return {
            c
            for c, has in (
                (MessageChannel.EMAIL, self.email),
                (MessageChannel.SMS, self.sms),
                (MessageChannel.WHATSAPP, self.whatsapp),
            )
            if has
        }


_batch = Local()


@contextmanager
def batch(*, new_events: bool = False):
    """Write the messages of every `notify` in the block together, when the block ends
    (still inside the caller's transaction). Nested blocks join the outer one.

    `new_events`: every event in the block names rows created in this same transaction
    (an order just placed and its fulfilments), so no earlier message can hold its key and
    the insert needs no savepoint to fall back row by row. Should one conflict all the
    same, the IntegrityError fails the whole transaction: nothing is sent twice.
    """
    if getattr(_batch, "calls", None) is not None:
        yield
        return
    _batch.calls = []
    try:
        yield
        calls, _batch.calls = _batch.calls, None
        _write_calls(calls, new_events=new_events)
    finally:
        _batch.calls = None


def notify(
    notice: Notice,
    *,
    event: str,
    about: str = "",
    to: Iterable[Recipient],
    context: dict,
    subject_fields: dict | None = None,
) -> list[Message]:
    """Write the messages of `event` for each recipient; returns the rows now queued
    (none yet inside `batch()`: they are written when the block ends)."""
    call = (notice, event, about, list({r.key: r for r in to}.values()), context, subject_fields or {})
    if getattr(_batch, "calls", None) is not None:
        _batch.calls.append(call)
        return []
    return _write_calls([call])


def _write_calls(calls: list, *, new_events: bool = False) -> list[Message]:
    from market.site import site_url

    stopped = stopped_for([r for call in calls for r in call[3]])  # one query for everybody's "PARE"
    rows = []
    for notice, event, about, recipients, context, subject_fields in calls:
        for recipient in recipients:
            mine = []
            with translation.override(recipient.lang):
                ctx = {"site_url": site_url(), "recipient": recipient, **context}
                for channel, address, problem in recipient.channels(stopped=stopped):
                    if channel not in notice.channels():
                        continue
                    mine.append(_row(notice, channel, address, problem, recipient, ctx, subject_fields))
            for message in _states(mine):
                message.event, message.about = event, about
                rows.append(message)
    written = Message.objects.bulk_create(rows) if new_events and rows else _write(rows)
    queued = [r for r in written if r.state == MessageState.QUEUED]
    if queued:
        from market.messages.sending import enqueue

        ids = [m.pk for m in queued]
        transaction.on_commit(lambda: enqueue(ids))
    return queued


def _row(notice, channel, address, problem, recipient, ctx, subject_fields) -> Message:
    message = Message(
        kind=notice.kind,
        recipient=recipient.key,
        user=recipient.user,
        channel=channel,
        address=address,
        language=recipient.lang,
        error=problem,
    )
    if channel == MessageChannel.EMAIL:
        message.subject = one_line("[Minga] " + str(notice.subject) % subject_fields)[:255]
        message.body = render_to_string(f"{notice.email}.txt", ctx)
        message.html = render_to_string(f"{notice.email}.html", ctx)
    elif channel == MessageChannel.SMS:
        message.body = gsm_text(render_to_string(notice.sms, ctx).strip())
    else:
        template = TEMPLATES[notice.whatsapp]
        values = [
            one_line(Template("{{ " + expr + " }}").render(Context(ctx, autoescape=False))).strip()
            for expr in template.variables
        ]
        message.template = template.name
        message.variables = values
        message.body = fill(template, values, recipient.lang)
        message.error = message.error or variables_problem(values)
    return message


def _states(rows: list[Message]) -> list[Message]:
    """One person's rows: the first sendable one queued, the rest on standby, the impossible failed."""
    first = True
    for message in rows:
        if message.error:
            message.state = MessageState.FAILED
        elif first:
            message.state, first = MessageState.QUEUED, False
        else:
            message.state = MessageState.STANDBY
    return rows


def _write(rows: list[Message]) -> list[Message]:
    """Insert the rows in one statement; if an event already told someone on a channel (the
    unique constraint), row by row, keeping only the new ones."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            return Message.objects.bulk_create(rows)
    except IntegrityError:
        pass
    saved = []
    for message in rows:
        message.pk = None
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # this event already told her on this channel
            continue
        saved.append(message)
    return saved


def messages_for(about: str, *, user=None):
    """The messages about one thing, for the page that shows it (her own only, with `user`)."""
    rows = Message.objects.about(about)
    return rows.filter(user=user) if user is not None else rows
