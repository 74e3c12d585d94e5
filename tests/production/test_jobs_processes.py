"""Jobs survive their worker, with real processes on PostgreSQL (the finding "Exactly once").

Runs in the PostgreSQL pass only (marked `postgres`). Everything happens outside pytest-django's
test database: a dedicated database `minga_jobs_worker` (dropped, recreated, the worker's apps
migrated in a subprocess), and `manage.py jobs_worker` processes with production settings, a
3-second lease and half-second heartbeats and backoff. The task (tests/production/jobs_tasks.py) sends "the
buyer's e-mail", waits for a gate file, then sends "the cooperative's"; sent messages are lines
in a file, so the test counts them.

* `kill -9` of the worker half-way: the task stays RUNNING until its lease runs out; another
  worker takes it up and completes it; the buyer got one message, the cooperative one.
* `pg_terminate_backend` of all the worker's connections, while a task waits half-way and
  again while it is idle: the worker stays up, finishes that task and runs the next ones.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DB_NAME = "minga_jobs_worker"
TASK = "tests.production.jobs_tasks.two_messages"
WAIT = 25  # seconds, for any one thing to happen
TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
)


def db_url(name: str) -> str:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def sql(query: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url(DB_NAME), connect_timeout=10, autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def enqueue(env: dict, *runs: str) -> list[str]:
    code = (
        "from tests.production.jobs_tasks import two_messages\n"
        f"print(','.join(str(two_messages.enqueue(run).id) for run in {list(runs)!r}))"
    )
    return manage(env, "shell", "-c", code).strip().splitlines()[-1].split(",")


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    handle = log.open("a")
    try:
        return subprocess.Popen(
            [PYTHON, "manage.py", "jobs_worker", "--no-startup-delay", "--interval", "0.1", "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    finally:
        handle.close()


def wait_for(what: str, check, log: Path, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-4000:]}")


def task_row(task_id: str):
    rows = sql("SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = %s", [task_id])
    return rows[0] if rows else (None, None)


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def stop(proc: subprocess.Popen) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(db_url("postgres"), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            TERMINATE,
            [DB_NAME],
        )
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(DB_NAME)))
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(DB_NAME)))
    tmp = tmp_path_factory.mktemp("jobs")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "PYTEST", "MINGA_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="market.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=db_url(DB_NAME),
        TASKS_WORKER="true",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MINGA_JOBS_TEST_DIR=str(tmp),
        MINGA_JOBS_LEASE_SECONDS="3",
        MINGA_JOBS_HEARTBEAT_SECONDS="0.5",
        MINGA_JOBS_BACKOFF_SECONDS="0.5",
        MINGA_JOBS_MAX_ATTEMPTS="5",
        LOG_LEVEL="INFO",
    )
    # Only what a worker touches (market with auth and contenttypes, and the task table): the
    # whole project's migrations would take most of this module's time.
    manage(
        env,
        "shell",
        "-c",
        "from django.core.management import call_command\n"
        "for app in ('market', 'django_tasks_database'):\n"
        "    call_command('migrate', app, interactive=False, verbosity=0)",
    )
    return {"env": env, "tmp": tmp}


def test_a_worker_killed_half_way_is_taken_up_by_another_and_sends_each_message_once(site):
    env, tmp = site["env"], site["tmp"]
    log = tmp / "kill.log"
    (task_id,) = enqueue(env, "kill")
    first = start_worker(env, log)
    second = None
    try:
        wait_for("the buyer's message", lambda: lines(tmp / "kill.sent") == ["buyer"], log)
        first.kill()  # kill -9, half-way: the cooperative's message is not sent
        first.wait(timeout=10)
        status, worker_ids = task_row(task_id)
        assert status == "RUNNING" and len(worker_ids) == 1

        (tmp / "kill.go").touch()
        second = start_worker(env, log)
        wait_for("the task to succeed", lambda: task_row(task_id)[0] == "SUCCESSFUL", log)
        status, worker_ids = task_row(task_id)
        assert len(worker_ids) == 2 and worker_ids[0] != worker_ids[1]
        assert len(lines(tmp / "kill.starts")) == 2, "it ran twice"
        assert lines(tmp / "kill.sent") == ["buyer", "cooperative"], "and each message left once"
        assert sql(
            "SELECT count(*) FROM market_jobeffect WHERE key LIKE 'two_messages:kill:%%' AND state = 'done'"
        ) == [(2,)]

        assert stop(second) == 0, "SIGTERM: the worker leaves cleanly"
        assert sql("SELECT count(*) FROM market_jobworker WHERE worker_id = %s", [worker_ids[1]]) == [(0,)]
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def _connections() -> int:
    return sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [DB_NAME]
    )[0][0]


def _terminate_connections() -> int:
    return sum(1 for (terminated,) in sql(TERMINATE, [DB_NAME]) if terminated)


def test_a_worker_whose_database_connections_are_cut_reconnects_and_goes_on(site):
    env, tmp = site["env"], site["tmp"]
    log = tmp / "cut.log"
    for run in ("after-1", "after-2"):
        (tmp / f"{run}.go").touch()
    worker = start_worker(env, log)
    try:
        (task_id,) = enqueue(env, "cut")
        wait_for("the buyer's message", lambda: lines(tmp / "cut.sent") == ["buyer"], log)
        # Its connections (the loop's and the heartbeat's) are cut while the task waits half-way.
        wait_for("the heartbeat's own connection", lambda: _connections() >= 2, log)
        assert _terminate_connections() >= 2
        (tmp / "cut.go").touch()
        wait_for("the task to succeed", lambda: task_row(task_id)[0] == "SUCCESSFUL", log)
        assert lines(tmp / "cut.sent") == ["buyer", "cooperative"]
        assert worker.poll() is None, "the worker is still running"

        time.sleep(1)  # idle now, between two polls
        assert _terminate_connections() >= 1
        later = enqueue(env, "after-1", "after-2")
        for task_id in later:
            wait_for(
                "a later task to succeed", lambda task_id=task_id: task_row(task_id)[0] == "SUCCESSFUL", log
            )
        assert worker.poll() is None
        assert lines(tmp / "after-1.sent") == ["buyer", "cooperative"]
        assert lines(tmp / "after-2.sent") == ["buyer", "cooperative"]
        assert sql(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status <> 'SUCCESSFUL'"
        ) == [(0,)]
        assert stop(worker) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
