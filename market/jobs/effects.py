"""The effect ledger: a job run twice does what it does once.

A job may run more than once: its worker was killed, its result could not be recorded, it
raised after sending half of its messages. Wrap every external effect in `effect_once` with a
key naming the event, the recipient and the channel, and a second run skips what the first
did:

    from market.jobs import effect_once

    for address in addresses:
        message = EmailMessage(subject=subject, body=body, to=[address])
        effect_once(f"order_placed:{order.pk}:{address}:email", message.send)

How it works, and its one window:

1. claim: insert the key as "started" (its own transaction, committed at once when called
   outside `transaction.atomic`, which is how tasks run). A key already "done" → skip, return
   False. A key "started" less than a lease ago → another run is doing it right now: raise
   `EffectInProgress` (the task is retried later, by then it is done).
2. do the effect. If it raises, the claim is deleted (the effect is taken as not done) and the
   exception goes on: the task is retried with backoff and tries again.
3. mark the key "done".

A crash between 1 and 3 (the process killed while the SMTP server was accepting the message)
leaves a "started" row: nobody knows whether the message left. Once it is older than a lease
(MINGA_JOBS_LEASE_SECONDS), the next run takes the claim over and does the effect again: at
least once, a rare duplicate rather than a lost e-mail. `at_most_once=True` treats such a row
as done instead (never twice, possibly never), for an effect worse repeated than missed.

Called inside a transaction (a test, or a caller's own `atomic`), the claim commits or rolls
back with that transaction: a rollback after a sent message forgets it (at least once again).
"""

import hashlib
import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from market.jobs.conf import jobs_conf
from market.jobs.db import with_reconnect
from market.models import JobEffect, JobEffectState

logger = logging.getLogger("market.jobs")

KEY_MAX = JobEffect._meta.get_field("key").max_length


class EffectInProgress(Exception):
    """Another run of the job is doing this effect right now; try again later."""


def effect_key(key: str) -> str:
    """The key as stored: as given, or (beyond 255 characters) its start and a SHA-256 of it all."""
    if not key:
        raise ValueError("An effect needs a key.")
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[: KEY_MAX - len(digest) - 1]}#{digest}"


def effect_done(key: str) -> bool:
    """Has the effect with this key been done (marked done)?"""
    key = effect_key(key)
    return with_reconnect(
        lambda: JobEffect.objects.filter(key=key, state=JobEffectState.DONE).exists(), what="effect ledger"
    )


def effect_once(key: str, effect: Callable[[], object], *, at_most_once: bool = False) -> bool:
    """Call `effect()` unless the effect with this key was already done; True if it ran now.

    `key` names one effect of one event: "<job>:<object id>:<recipient>:<channel>".
    """
    key = effect_key(key)
    if not with_reconnect(lambda: _claim(key, at_most_once=at_most_once), what="claiming an effect"):
        return False
    try:
        effect()
    except BaseException:
        try:
            with_reconnect(
                lambda: JobEffect.objects.filter(key=key, state=JobEffectState.STARTED).delete(),
                what="releasing an effect",
            )
        except Exception:  # the claim stays "started": after a lease, a later run redoes it
            logger.exception("Could not release the effect %s after it failed", key)
        raise
    with_reconnect(
        lambda: JobEffect.objects.filter(key=key).update(state=JobEffectState.DONE, done_at=timezone.now()),
        what="marking an effect done",
    )
    return True


def _claim(key: str, *, at_most_once: bool) -> bool:
    for _round in range(3):
        now = timezone.now()
        try:
            with transaction.atomic():
                JobEffect.objects.create(key=key, state=JobEffectState.STARTED, started_at=now)
            return True
        except IntegrityError:
            pass
        row = JobEffect.objects.filter(key=key).values("state", "started_at").first()
        if row is None:  # released by a run that failed in between: claim it again
            continue
        if row["state"] == JobEffectState.DONE:
            return False
        if row["started_at"] > now - jobs_conf().lease_delta:
            raise EffectInProgress(key)
        # "started" longer than a lease ago: a run died between claim and done.
        if at_most_once:
            logger.warning("Effect %s was interrupted; at most once, so it is not done again", key)
            return False
        taken = JobEffect.objects.filter(
            key=key, state=JobEffectState.STARTED, started_at=row["started_at"]
        ).update(started_at=now)
        if taken:
            logger.warning("Effect %s was interrupted before it was marked done; doing it again", key)
            return True
    raise EffectInProgress(key)
