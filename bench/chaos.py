"""`make chaos`: concurrent buyers on two app servers while processes die, then the invariants.

    .venv/bin/python -m bench.chaos

Loopback only, bounded in time (CHAOS_DEADLINE_S, 285 s by default; about 2 minutes on two
cores), and everything it starts is stopped on the way out, failure or not.

1. PostgreSQL (CHAOS_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/) and Redis
   (CHAOS_REDIS_URL, default redis://127.0.0.1:6379/13, flushed). Without them: a clear
   message and exit 2.
2. The database `minga_chaos`, a fresh copy of `minga_chaos_migrated`, which is migrated
   again only when a migration or requirements.lock changes (CHAOS_FRESH=1 forces it).
3. The data (bench/chaos_build.py through `manage.py shell -c`, the suite's factories).
4. Two gunicorns (2 workers × 4 threads each) with production settings (bench/chaos_settings.py:
   `market.settings` with DEBUG off, TASKS_WORKER=true, Redis, file-based e-mail) on free
   loopback ports, and the task worker: `manage.py jobs_worker` when the project has it,
   else `manage.py db_worker` (CHAOS_WORKER_CMD overrides). A watcher restarts the task worker
   when it exits by itself, as a supervisor would, and records that it did.
5. The buyers (bench/chaos_driver.py) sign in and fill their baskets, then the chaos phase
   (CHAOS_SECONDS, 30 s): buyers keep buying while, at fixed moments, the task worker is
   killed (-9) while it runs a task and started again, a gunicorn worker process of server A
   is killed (-9), every connection to the database is terminated, and a worker of server B
   is killed. After each server fault both servers are polled until they answer 200.
6. The task worker is left to drain (no task READY or RUNNING; at most CHAOS_DRAIN_S, 30 s;
   its lease and backoff are shortened so that a task of a killed worker is taken up within it),
   everything is stopped, and bench/chaos_checks.py checks the invariants.
7. The table (also in bench-results/chaos/report.txt, with the logs and e-mails), then
   `chaos: invariants held` (exit 0) or `chaos: invariants BROKEN` (exit 1).
"""

import atexit
import contextlib
import hashlib
import http.client
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from bench.chaos_checks import Checks, table
from bench.chaos_driver import SERVER_NAMES, Driver

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WORK = ROOT / "bench-results" / "chaos"
STATIC = ROOT / "bench-results" / "chaos-static"
APPS = ("market", "cooperatives", "catalog", "orders", "cms")
DB_NAME = "minga_chaos"
TEMPLATE_DB = "minga_chaos_migrated"
PG_URL = os.environ.get("CHAOS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
REDIS_URL = os.environ.get("CHAOS_REDIS_URL", "redis://127.0.0.1:6379/13")
DEADLINE_S = int(os.environ.get("CHAOS_DEADLINE_S", "285"))
CHAOS_S = float(os.environ.get("CHAOS_SECONDS", "30"))
DRAIN_S = float(os.environ.get("CHAOS_DRAIN_S", "30"))
TERMINATE = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
)
COMMAND_TIMEOUT_S = 120
APP_WORKERS = 2
PROBE_LIMIT_S = 15.0

# Seconds after t0 (the start of the chaos phase).
SCHEDULE = {"double_submits": [3.0, 12.3, 18.1], "credit": 6.0}
FAULTS = [
    (6.0, "kill -9 of the task worker", "task_worker"),
    (12.0, "kill -9 of a worker of server A", "app_worker_A"),
    (18.0, "pg_terminate_backend of every connection", "database"),
    (24.0, "kill -9 of a worker of server B", "app_worker_B"),
]


class Deadline(Exception):
    pass


def say(message: str) -> None:
    print(f"chaos: {message}", flush=True)


def db_url(name: str) -> str:
    parts = urllib.parse.urlsplit(PG_URL)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def sql(query: str, params=()) -> list[tuple]:
    """One short connection per call: the fault that terminates connections hits ours too."""
    import psycopg

    for attempt in range(3):
        try:
            with psycopg.connect(db_url(DB_NAME), connect_timeout=10) as conn:
                return conn.execute(query, params).fetchall()
        except psycopg.OperationalError:
            if attempt == 2:
                raise
            time.sleep(0.5)
    return []


def admin():
    import psycopg

    return psycopg.connect(db_url("postgres"), autocommit=True, connect_timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_status(port: int, path: str = "/", timeout: float = 5.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Language": "es"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


# --- processes ----------------------------------------------------------------------------


class Processes:
    """Everything this run starts, each in its own process group, stopped on the way out."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []
        self.lock = threading.Lock()

    def start(self, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        with log.open("a") as handle:
            proc = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        with self.lock:
            self.procs.append(proc)
        return proc

    @staticmethod
    def stop(proc: subprocess.Popen, sig=signal.SIGTERM, wait_s: float = 10) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait_s)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # stragglers of the group (gunicorn workers)
        if proc.poll() is None:
            proc.wait(timeout=10)

    def stop_all(self) -> None:
        with self.lock:
            procs, self.procs = self.procs, []
        for proc in procs:
            self.stop(proc)


def run_command(args: list[str], env: dict, *, what: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    if done.returncode:
        raise SystemExit(f"chaos: {what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def app_workers(master: int) -> list[int]:
    """The gunicorn master's children: its worker processes."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


class TaskWorker:
    """The task worker, with a watcher that restarts it when it exits by itself."""

    MAX_RESTARTS = 5

    def __init__(self, procs: Processes, command: list[str], env: dict, log: Path, db_worker: bool):
        self.procs, self.command, self.env, self.log = procs, command, env, log
        self.db_worker = db_worker
        self.lock = threading.Lock()
        self.proc = None
        self.starts = 0
        self.ids: list[str] = []
        self.exits: list[str] = []  # exits nobody asked for
        self.expected_exit = False
        self.stopped = threading.Event()
        self.clock = time.monotonic

    def start(self) -> None:
        with self.lock:
            self.starts += 1
            command = list(self.command)
            if self.db_worker:
                worker_id = f"chaos-{self.starts}"
                self.ids.append(worker_id)
                command += ["--worker-id", worker_id]
            with self.log.open("a") as handle:
                handle.write(f"\n--- start {self.starts}: {shlex.join(command[1:])}\n")
            self.proc = self.procs.start(command, self.env, self.log)
            self.expected_exit = False

    def kill(self) -> None:
        with self.lock:
            self.expected_exit = True
            proc = self.proc
        with contextlib.suppress(ProcessLookupError):  # it may have died by itself just now
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def watch(self, now) -> None:
        while not self.stopped.wait(0.2):
            with self.lock:
                proc, expected = self.proc, self.expected_exit
            if proc is None or expected or proc.poll() is None:
                continue
            self.exits.append(f"exit {proc.returncode} at {now():.1f} s ({self.last_exception()})")
            if len(self.exits) > self.MAX_RESTARTS:
                return
            time.sleep(0.5)
            self.start()

    def last_exception(self) -> str:
        """The last exception line the worker logged, as 'Class: message'."""
        found = "no exception logged"
        for line in self.log.read_text(errors="replace").splitlines()[-200:]:
            head = line.split(":", 1)[0]
            if head and " " not in head and head.endswith(("Error", "Exception")):
                found = f"{head.rsplit('.', 1)[-1]}:{line.split(':', 1)[1]}"[:90]
        return found

    def stop(self) -> None:
        self.stopped.set()
        with self.lock:
            self.expected_exit = True
            proc = self.proc
        if proc is not None:
            Processes.stop(proc, wait_s=15)


# --- set-up -----------------------------------------------------------------------------------


def require_services() -> None:
    try:
        import psycopg

        with admin() as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
    except Exception as exc:
        say(f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__}: {exc}).")
        say("make chaos needs PostgreSQL and Redis; set CHAOS_POSTGRES_URL / CHAOS_REDIS_URL.")
        raise SystemExit(2) from None
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
        client.ping()
        client.flushdb()
    except Exception as exc:
        say(f"Redis is not reachable at {REDIS_URL} ({type(exc).__name__}: {exc}).")
        say("make chaos needs PostgreSQL and Redis; set CHAOS_POSTGRES_URL / CHAOS_REDIS_URL.")
        raise SystemExit(2) from None
    del psycopg
    say(f"PostgreSQL {version.split()[0]} and Redis answer")


def fingerprint() -> str:
    digest = hashlib.sha256()
    files = [ROOT / "requirements.lock"]
    for app in APPS:
        files += sorted((ROOT / app / "migrations").glob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def drop_database(conn, name: str) -> None:
    from psycopg import sql as pgsql

    conn.execute(TERMINATE, [name])
    conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))


def prepare_database(env: dict) -> None:
    from psycopg import sql as pgsql

    wanted = fingerprint()
    with admin() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [TEMPLATE_DB]
        ).fetchone()
    collect = subprocess.Popen(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if row is None or row[0] != wanted or os.environ.get("CHAOS_FRESH"):
            say(f"migrating {TEMPLATE_DB} (kept while the migrations do not change)...")
            with admin() as conn:
                drop_database(conn, TEMPLATE_DB)
                conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(TEMPLATE_DB)))
            run_command(
                ["migrate", "--noinput", "-v", "0"],
                {**env, "DATABASE_URL": db_url(TEMPLATE_DB)},
                what="migrate",
            )
            with admin() as conn:
                conn.execute(
                    pgsql.SQL("COMMENT ON DATABASE {} IS {}").format(
                        pgsql.Identifier(TEMPLATE_DB), pgsql.Literal(wanted)
                    )
                )
        with admin() as conn:
            drop_database(conn, DB_NAME)
            conn.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(DB_NAME), pgsql.Identifier(TEMPLATE_DB)
                )
            )
        out, err = collect.communicate(timeout=COMMAND_TIMEOUT_S)
        if collect.returncode:
            raise SystemExit(f"chaos: collectstatic failed:\n{out[-2000:]}\n{err[-4000:]}")
    finally:
        if collect.poll() is None:
            collect.kill()
            collect.wait(timeout=10)


def django_env() -> dict:
    drop = ("DJANGO_", "EMAIL_", "STRIPE_", "AWS_", "PYTEST", "MINGA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        DJANGO_SETTINGS_MODULE="bench.chaos_settings",
        MINGA_CHAOS="true",
        MINGA_CHAOS_STATIC_ROOT=str(STATIC),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=db_url(DB_NAME),
        REDIS_URL=REDIS_URL,
        TASKS_WORKER="true",
        # The jobs worker's clock compressed to the run's scale (production: a 30 s lease and a
        # 30 s first retry): a task whose worker was killed is taken up within the drain.
        MINGA_JOBS_LEASE_SECONDS="6",
        MINGA_JOBS_HEARTBEAT_SECONDS="1",
        MINGA_JOBS_BACKOFF_SECONDS="1",
        MINGA_JOBS_BACKOFF_MAX_SECONDS="5",
        MEDIA_ROOT=str(WORK / "media"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(WORK / "mail"),
        EMAIL_URL="",
        STRIPE_SECRET_KEY="",  # no card payments: a developer's .env must not switch them on
        AWS_STORAGE_BUCKET_NAME="",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    env.pop("SQLITE_PATH", None)
    return env


def worker_command(env: dict) -> tuple[list[str], bool]:
    custom = os.environ.get("CHAOS_WORKER_CMD", "")
    if custom:
        return [PYTHON, "manage.py", *shlex.split(custom)], False
    probe = subprocess.run(
        [PYTHON, "manage.py", "help", "jobs_worker"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    if probe.returncode == 0:
        return [PYTHON, "manage.py", "jobs_worker"], False
    command = [
        "db_worker",
        "--backend",
        "jobs",
        "--queue-name",
        "*",
        "--interval",
        "0.2",
        "--no-startup-delay",
    ]
    return [PYTHON, "manage.py", *command], True


def start_servers(procs: Processes, env: dict) -> list[tuple[subprocess.Popen, int]]:
    servers = []
    for name in SERVER_NAMES:
        port = free_port()
        log = WORK / f"server-{name}.log"
        command = [
            str(Path(PYTHON).parent / "gunicorn"),
            "market.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(APP_WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "--error-logfile",
            str(log),
        ]
        servers.append((procs.start(command, env, log), port))
    return servers


def wait_servers(servers: list[tuple[subprocess.Popen, int]]) -> None:
    for (server, port), name in zip(servers, SERVER_NAMES, strict=True):
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                log = (WORK / f"server-{name}.log").read_text()[-3000:]
                raise SystemExit(f"chaos: server {name} exited at start:\n{log}")
            try:
                if get_status(port) == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"chaos: server {name} did not answer within 60 s")
            time.sleep(0.3)


# --- faults -----------------------------------------------------------------------------------


def probe_recovery(fault: dict, ports: list[int], started: float) -> list[threading.Thread]:
    """Poll both servers from the fault's moment until each answers 200 (at most 15 s)."""
    fault["recovery"] = {}

    def probe(name, port):
        while time.monotonic() - started < PROBE_LIMIT_S:
            try:
                if get_status(port, "/", timeout=2.0) == 200:
                    fault["recovery"][name] = round(time.monotonic() - started, 3)
                    return
            except OSError:
                pass
            time.sleep(0.1)
        fault["recovery"][name] = None

    threads = [
        threading.Thread(target=probe, args=(name, port), daemon=True)
        for name, port in zip(SERVER_NAMES, ports, strict=True)
    ]
    for thread in threads:
        thread.start()
    return threads


def kill_app_worker(fault: dict, master: subprocess.Popen, name: str) -> threading.Thread:
    children = app_workers(master.pid)
    fault["server"] = name
    if not children:
        fault.update(injected=False, detail=f"server {name} has no worker process")
        return None
    victim = children[0]
    os.kill(victim, signal.SIGKILL)
    started = time.monotonic()
    fault.update(injected=True, detail=f"pid {victim} of {len(children)}")

    def respawn():
        while time.monotonic() - started < PROBE_LIMIT_S:
            now = app_workers(master.pid)
            if victim not in now and len(now) >= len(children):
                fault["respawn_s"] = round(time.monotonic() - started, 2)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=respawn, daemon=True)
    thread.start()
    return thread


def terminate_connections(fault: dict) -> None:
    with admin() as conn:
        rows = conn.execute(TERMINATE, [DB_NAME]).fetchall()
    killed = sum(1 for (done,) in rows if done)
    fault.update(injected=killed > 0, detail=f"{killed} connections terminated")


def kill_task_worker(fault: dict, worker: TaskWorker, within: float = 4.0) -> None:
    """Wait (at most `within` s) until the worker is running a task, then kill -9 it, and start
    it again a second later: the worst moment for a task, the one a real crash finds some day."""
    import psycopg

    running = []
    deadline = time.monotonic() + within
    try:
        with psycopg.connect(db_url(DB_NAME), autocommit=True, connect_timeout=5) as conn:
            while time.monotonic() < deadline and not running:
                running = conn.execute(
                    "SELECT task_path, args_kwargs FROM django_tasks_database_dbtaskresult "
                    "WHERE status = 'RUNNING'"
                ).fetchall()
                if not running:
                    time.sleep(0.005)
    except psycopg.Error:
        pass
    worker.kill()
    killed_at = time.monotonic()
    if running:
        path, args = running[0]
        detail = f"while running {path.rsplit('.', 1)[-1]}{tuple(args.get('args', []))}"
    else:
        detail = f"idle (no task running within {within:g} s)"
    time.sleep(1.0)
    worker.start()
    fault.update(injected=True, detail=f"{detail}; restarted after {time.monotonic() - killed_at:.1f} s")


def task_counts() -> dict:
    return dict(sql("SELECT status, COUNT(*) FROM django_tasks_database_dbtaskresult GROUP BY 1"))


def drain(limit_s: float) -> tuple[float, dict]:
    started = time.monotonic()
    while True:
        counts = task_counts()
        if not counts.get("READY") and not counts.get("RUNNING"):
            return time.monotonic() - started, counts
        if time.monotonic() - started > limit_s:
            return time.monotonic() - started, counts
        time.sleep(0.5)


def unfinished_tasks(worker: TaskWorker) -> list[str]:
    rows = sql(
        "SELECT task_path, status, args_kwargs, worker_ids, exception_class_path "
        "FROM django_tasks_database_dbtaskresult WHERE status <> 'SUCCESSFUL' ORDER BY enqueued_at"
    )
    out = []
    for path, status, args, worker_ids, exception in rows:
        text = f"{path.rsplit('.', 1)[-1]}{tuple(args.get('args', []))} {status}"
        if worker_ids:
            text += f" (claimed by {', '.join(worker_ids)})"
        if exception:
            text += f" {exception.rsplit('.', 1)[-1]}"
        out.append(text)
    return out


def log_exceptions() -> str:
    """The exceptions the app servers logged (the last line of each traceback), counted."""
    counts: dict[str, int] = {}
    for name in SERVER_NAMES:
        path = WORK / f"server-{name}.log"
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            head = line.split(":", 1)[0]
            if head and " " not in head and (head.endswith("Error") or head.endswith("Exception")):
                counts[head.rsplit(".", 1)[-1]] = counts.get(head.rsplit(".", 1)[-1], 0) + 1
    return ", ".join(f"{k} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    started = time.monotonic()

    def on_alarm(_signum, _frame):
        raise Deadline(f"the run passed its limit of {DEADLINE_S} s")

    def on_term(_signum, _frame):
        say("terminated; stopping everything")
        raise SystemExit(1)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(DEADLINE_S)
    procs = Processes()
    atexit.register(procs.stop_all)
    try:
        return run(procs, started)
    except Deadline as exc:
        say(f"{exc}; stopping everything")
        say("invariants BROKEN")
        return 1
    finally:
        signal.alarm(0)
        procs.stop_all()


def run(procs: Processes, started: float) -> int:
    def clock() -> str:
        return f"{time.monotonic() - started:.0f} s"

    require_services()
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "mail").mkdir(parents=True)
    env = django_env()

    prepare_database(env)
    say(f"database {DB_NAME} ready ({clock()})")
    servers = start_servers(procs, env)  # they boot while the data is built
    build_env = {
        **env,
        "TASKS_WORKER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    build = (ROOT / "bench" / "chaos_build.py").read_text()
    out = run_command(["shell", "-v", "0", "-c", build], build_env, what="building the data")
    data = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    (WORK / "data.json").write_text(json.dumps(data, indent=1))
    say(f"data built ({clock()})")

    command, is_db_worker = worker_command(env)
    wait_servers(servers)
    ports = [port for _server, port in servers]
    worker = TaskWorker(procs, command, env, WORK / "task-worker.log", is_db_worker)
    worker.start()
    say(f"servers A :{ports[0]} and B :{ports[1]} up, task worker: {shlex.join(command[2:])} ({clock()})")

    driver = Driver(ports, data, SCHEDULE, CHAOS_S)
    threads = driver.threads()
    for thread in threads:
        thread.start()
    wait_until = time.monotonic() + 120
    while driver.ready_count < len(threads) and time.monotonic() < wait_until:
        time.sleep(0.2)
    if driver.ready_count < len(threads):
        driver.problem(f"only {driver.ready_count} of {len(threads)} buyers were ready after 120 s")
    say(f"{len(threads)} buyers signed in, baskets filled; chaos for {CHAOS_S:g} s ({clock()})")

    driver.t0 = time.monotonic() + 0.2
    driver.go.set()
    watcher = threading.Thread(target=worker.watch, args=(driver.now,), daemon=True)
    watcher.start()

    faults, helpers = [], []
    for at, name, kind in FAULTS:
        driver.sleep_until(at)
        fault = {
            "name": name,
            "at": round(driver.now(), 2),
            "injected": False,
            "detail": "",
            "server_fault": False,
        }
        faults.append(fault)
        moment = time.monotonic()
        if kind == "task_worker":
            kill_task_worker(fault, worker)
        elif kind == "database":
            fault["server_fault"] = True
            terminate_connections(fault)
            helpers += probe_recovery(fault, ports, moment)
        else:
            server_name = kind[-1]
            fault["server_fault"] = True
            master = servers[SERVER_NAMES.index(server_name)][0]
            helper = kill_app_worker(fault, master, server_name)
            helpers += probe_recovery(fault, ports, moment)
            if helper:
                helpers.append(helper)
        say(f"{fault['at']:5.1f} s  {name}: {fault['detail']}")

    for thread in threads:
        thread.join(timeout=max(1.0, driver.t0 + CHAOS_S + 45 - time.monotonic()))
    for helper in helpers:
        helper.join(timeout=PROBE_LIMIT_S)
    still = sum(1 for t in threads if t.is_alive())
    if still:
        driver.problem(f"{still} buyer threads still running 45 s after the chaos phase")
    say(f"load over: {len(driver.requests)} requests, {len(driver.checkouts)} checkouts ({clock()})")

    drained_s, counts = drain(DRAIN_S)
    say(f"task worker drained for {drained_s:.1f} s: {counts}")
    worker.stop()
    for server, _port in servers:
        Processes.stop(server)

    checks = Checks(sql, data, driver, faults, WORK / "mail")
    rows = checks.run()
    unfinished = unfinished_tasks(worker)
    rows.append(
        (
            "tasks after the drain",
            "-",
            ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            + (f"; not done: {'; '.join(unfinished[:3])}" if unfinished else ""),
            "info",
        )
    )
    rows.append(("task worker exits nobody asked for", "-", "; ".join(worker.exits) or "none", "info"))
    rows.append(("exceptions in the app servers' logs", "-", log_exceptions(), "info"))

    report = table(rows)
    details = checks.details + [f"not done: {task}" for task in unfinished]
    failed = [r for r in rows if r[3] == "FAIL"]
    elapsed = time.monotonic() - started
    print()
    print(report)
    if details:
        print("\n" + "\n".join(details[:20]))
    print()
    (WORK / "report.txt").write_text(report + "\n\n" + "\n".join(details) + "\n")
    (WORK / "report.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "details": details,
                "faults": faults,
                "checkouts": [vars(c) for c in driver.checkouts],
                "seconds": round(elapsed, 1),
            },
            indent=1,
            default=str,
        )
    )
    say(f"{len(rows)} rows, {len(failed)} failed; {elapsed:.0f} s in all; logs in bench-results/chaos/")
    if failed:
        say("invariants BROKEN")
        return 1
    say("invariants held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
