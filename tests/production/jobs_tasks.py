"""A task for tests/production/test_jobs_processes.py: it sends "the buyer's e-mail", waits for
a gate file (so the test can kill its worker or cut its database connections half-way), then
sends "the cooperative's". The messages are lines appended to a file, each through the effect
ledger, so the test can count what was sent however often the task ran."""

import os
import time
from pathlib import Path

from django_tasks import task

from market.jobs import effect_once


def _folder() -> Path:
    return Path(os.environ["MINGA_JOBS_TEST_DIR"])


def _append(path: Path, line: str) -> None:
    with path.open("a") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@task(backend="jobs")
def two_messages(run: str) -> str:
    folder = _folder()
    _append(folder / f"{run}.starts", str(os.getpid()))
    effect_once(f"two_messages:{run}:buyer:email", lambda: _append(folder / f"{run}.sent", "buyer"))
    gate = folder / f"{run}.go"
    deadline = time.monotonic() + 60
    while not gate.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {gate.name}")
        time.sleep(0.05)
    effect_once(
        f"two_messages:{run}:cooperative:email", lambda: _append(folder / f"{run}.sent", "cooperative")
    )
    return run
