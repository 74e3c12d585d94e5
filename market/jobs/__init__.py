"""Background jobs that survive their worker: the one place where Minga extends django-tasks-db.

Decision. django-tasks-db 0.13 stores tasks and claims them safely (`SELECT … FOR UPDATE SKIP
LOCKED`), but its `db_worker` has no notion of a worker that vanished: a task it was running
when killed stays RUNNING forever; a task that raises is FAILED at once, never retried; and a
database error outside a task ends the process. Rather than fork it, we keep its model, its
backend and its claiming, and add what is missing here, in `market/jobs/`, with three small
models in `market/models.py` (`JobWorker`, `JobEffect`, `JobRetry`). Run `manage.py
jobs_worker` (never `db_worker`) on the "jobs" backend in production.

* Heartbeat and lease (`worker.py`). Each worker registers a `JobWorker` row and a thread with
  its own database connection refreshes `seen_at` every MINGA_JOBS_HEARTBEAT_SECONDS. Claiming
  a task writes its id into the worker's row in the same transaction; recording the result
  clears it. Every worker runs the reaper a few times per lease: a RUNNING task older than
  MINGA_JOBS_LEASE_SECONDS whose last worker (last of `worker_ids`) is not seen for a lease,
  or is seen but no longer runs it, goes back to READY with a backoff delay. The update is
  conditional (`WHERE status = 'RUNNING' AND started_at = <the attempt seen>`), so two
  reapers never requeue the same attempt twice. A plain `db_worker` has no heartbeat: its
  long tasks would be taken up again by the reaper.
* Retries (`worker.py`). The attempt number is `len(worker_ids)` (every claim appends one),
  less the attempts before a staff retry. A task that raises, or whose worker vanished, is put
  back READY with `run_after = now + BACKOFF × 2^(n-1)` (capped) and its traceback kept on the
  row; after MINGA_JOBS_MAX_ATTEMPTS it is FAILED for good.
* Reconnection (`worker.py`). Any OperationalError or InterfaceError in the loop (claiming,
  reaping, recording a result) closes the connections and retries with a capped backoff: the
  worker never exits because the database went away. A result it cannot record within a
  lease stays RUNNING; the reaper takes it up again, so the task runs twice. Hence:
* Effects at most once per key (`effects.py`, `effect_once`). A job run twice must do what it
  does once: every external effect (an e-mail to one address about one event) is claimed in a
  ledger row before it happens and marked done after. The one window left is the effect
  itself: a process killed after the SMTP server accepted a message but before the ledger says
  "done" leaves a "started" row; once it is older than a lease, the next run does the effect
  again (at least once: a rare duplicate e-mail rather than a lost one). Pass
  `at_most_once=True` for an effect that must never repeat (then that window loses it).
* Staff see and retry stuck and failed jobs: the Wagtail admin (Settings → Background jobs,
  `admin_views.py`) and `manage.py jobs list|retry|prune` (`staff.py` holds the reads and the
  retry).

Clocks: leases compare times written by different hosts; keep them in sync (NTP), well within
a lease.
"""

from market.jobs.effects import EffectInProgress, effect_done, effect_once

__all__ = ["EffectInProgress", "effect_done", "effect_once"]
