"""Two app servers, one database: two gunicorns with production settings share PostgreSQL and Redis.

Runs in the PostgreSQL pass of .ci/run only (marked `postgres`; skipped on SQLite by
tests/conftest.py) and needs Redis at 127.0.0.1:6379 too: when DATABASE_URL is PostgreSQL
and Redis does not answer, the test fails rather than skips.

Everything happens outside pytest-django's test database, in subprocesses:

* a dedicated database `minga_two_servers` on the DATABASE_URL server (dropped, recreated,
  migrated) and Redis db 15 (flushed);
* the data built with the suite's factories by `manage.py shell -c`;
* two gunicorns (1 worker each) on two free loopback ports with `market.settings` as in
  production (DEBUG off, one random secret, TASKS_WORKER=true, REDIS_URL) except STATIC_ROOT
  (tests/production/settings.py: collectstatic goes to a temporary folder) and no https
  redirect on loopback http. Session and CSRF cookies stay Secure: the client below keeps
  its own cookie jar and sends them back over http, as a TLS-terminating proxy would;
* `manage.py close_markets` and `manage.py jobs_worker --batch` as the scheduler and the
  task worker would run them; e-mails go to files (filebased backend) and are counted.
"""

import email
import email.policy
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DB_NAME = "minga_two_servers"
REDIS_URL = "redis://127.0.0.1:6379/15"
PASSWORD = "clave-de-prueba-123"  # tests.factories.DEMO_PASSWORD
MARKET_TITLE = "Mercado de dos servidores"
COMMAND_TIMEOUT = 60
# Migrating (some 230 migrations) alone can take minutes on a busy 2-core machine, beside the
# other test worker.
MIGRATE_TIMEOUT = 300

BUILD = f"""
import json
from datetime import timedelta
from django.utils import timezone
from cms.models import MarketEventPage
from cooperatives.models import MembershipRole
from tests.cms.factories import make_market
from tests.cms.test_cooperative_market import place_market_order
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product

coop = CooperativeFactory(name="Frutos del Guaviare", slug="frutos")
MembershipFactory(cooperative=coop, role=MembershipRole.MANAGER, user__email="gerente@example.org")
yuca = make_product(coop, name="Yuca fresca", price_cop=2500)
araza = make_product(coop, name="Arazá", price_cop=6000, stock=None)
for address in ("ana@example.org", "carla@example.org", "rate@example.org"):
    UserFactory(email=address)
now = timezone.now()
event = make_market(
    title="{MARKET_TITLE}", opens_at=now - timedelta(days=1), closes_at=now + timedelta(hours=1),
    offers=[(araza, 5000, 20)],
)
for address in ("rosa@example.org", "luz@example.org"):
    place_market_order(UserFactory(email=address), event, [(araza, 2)])
# The market closed a minute ago; its market day is tomorrow, so closing it is due.
MarketEventPage.objects.filter(pk=event.pk).update(closes_at=now - timedelta(minutes=1))
print(json.dumps({{"product": yuca.pk, "event": event.pk, "cooperative": coop.pk}}))
"""


# --- helpers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_url(name: str) -> str:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def sql(query: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url(DB_NAME), connect_timeout=10) as conn:
        return conn.execute(query, params).fetchall()


def run(env: dict, *args: str, what: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    assert done.returncode == 0, f"{what} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


def run_together(commands: list[tuple[dict, list[str]]], timeout: int = COMMAND_TIMEOUT) -> list[str]:
    """Start every command at once, wait for all (bounded), return their outputs."""
    procs = [
        subprocess.Popen(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for env, args in commands
    ]
    outputs = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0, f"{proc.args} failed:\n{out[-2000:]}\n{err[-4000:]}"
            outputs.append(out)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    return outputs


def mails(folder: Path) -> list[email.message.EmailMessage]:
    """Every message the filebased backend wrote into `folder` (79 dashes separate them)."""
    found = []
    for path in sorted(folder.glob("*")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.lstrip(), policy=email.policy.default))
    return found


def task_results(task_suffix: str) -> list[tuple]:
    return sql(
        "SELECT id, status, worker_ids FROM django_tasks_database_dbtaskresult WHERE task_path LIKE %s",
        [f"%.{task_suffix}"],
    )


def closing_messages() -> list[tuple]:
    return sql(
        "SELECT kind, count(*) FROM market_message WHERE kind IN ('market_list', 'pickup_reminder') "
        "GROUP BY kind ORDER BY kind"
    )


def unfinished_or_failed() -> list[tuple]:
    return sql(
        "SELECT task_path, status, exception_class_path FROM django_tasks_database_dbtaskresult "
        "WHERE status <> 'SUCCESSFUL'"
    )


class Browser:
    """A plain-http client with its own cookie jar that, unlike a browser, sends Secure cookies
    over http (loopback stands for the TLS-terminating proxy). Any server, same cookies."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), text

    def get(self, port, path):
        return self.request(port, "GET", path)

    def post(self, port, path, form: dict, token_from: str):
        """POST `form` with the CSRF token read from the form on page `token_from` (same server)."""
        status, _location, page = self.get(port, token_from)
        assert status == 200, f"GET {token_from} on :{port} answered {status}"
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no CSRF token on {token_from}"
        return self.request(port, "POST", path, {"csrfmiddlewaretoken": match.group(1), **form})

    def login(self, port, address, password=PASSWORD):
        return self.post(port, "/cuenta/login/", {"login": address, "password": password}, "/cuenta/login/")


# --- the two servers ----------------------------------------------------------------------------


def _require_redis() -> None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(16).startswith(b"+PONG")
    except (OSError, AssertionError) as exc:
        pytest.fail(f"Redis is unreachable at 127.0.0.1:6379 ({exc}): this test needs it with PostgreSQL.")
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def _recreate_database() -> None:
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(db_url("postgres"), autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(DB_NAME)))
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(DB_NAME)))


def _wait_ready(server: subprocess.Popen, port: int, log: Path, deadline_s: float = 45) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn on :{port} exited at start:\n{log.read_text()[-4000:]}")
        try:
            status, _location, _body = Browser().get(port, "/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn on :{port} did not answer in {deadline_s:g} s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
    _require_redis()
    _recreate_database()
    tmp = tmp_path_factory.mktemp("two_servers")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.production.settings",
        MINGA_TWO_SERVERS_STATIC_ROOT=str(tmp / "static"),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DATABASE_URL=db_url(DB_NAME),
        REDIS_URL=REDIS_URL,
        TASKS_WORKER="true",
        MEDIA_ROOT=str(tmp / "media"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp / "mail-servers"),
    )
    # migrate and collectstatic at once; then the data, built inline (no queued tasks, no mail).
    run_together(
        [(env, ["migrate", "--noinput", "-v", "0"]), (env, ["collectstatic", "--noinput", "-v", "0"])],
        timeout=MIGRATE_TIMEOUT,
    )
    build_env = {
        **env,
        "TASKS_WORKER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    data = json.loads(run(build_env, "shell", "-c", BUILD, what="building the data").strip().splitlines()[-1])

    servers, ports = [], []
    try:
        for number in (1, 2):
            port = free_port()
            log = tmp / f"gunicorn-{number}.log"
            command = [
                str(Path(PYTHON).parent / "gunicorn"),
                "market.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "60",
                "--error-logfile",
                str(log),
            ]
            handle = log.open("w")
            servers.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
            )
            handle.close()
            ports.append(port)
        for server, port, number in zip(servers, ports, (1, 2), strict=True):
            _wait_ready(server, port, tmp / f"gunicorn-{number}.log")
        yield {"env": env, "tmp": tmp, "ports": ports, **data}
    finally:
        for server in servers:
            _stop(server)
        shutil.rmtree(tmp / "static", ignore_errors=True)


# --- the tests ------------------------------------------------------------------------------------


def test_signed_in_on_one_server_is_signed_in_on_the_other(site):
    one, two = site["ports"]
    browser = Browser()
    status, location, _ = browser.get(two, "/pedidos/")
    assert status == 302 and "/cuenta/login/" in location

    status, location, body = browser.login(one, "ana@example.org")
    assert status == 302, body[:1000]
    assert "sessionid" in browser.cookies

    status, _location, body = browser.get(two, "/pedidos/")
    assert status == 200
    assert "ana@example.org" in body or "/cuenta/logout/" in body


def test_failed_logins_are_limited_across_both_servers(site):
    one, two = site["ports"]
    browser = Browser()
    for attempt in range(5):  # "5/5m/key", alternating servers
        status, _location, body = browser.login((one, two)[attempt % 2], "rate@example.org", "no-es-la-clave")
        assert status != 302
        assert "Demasiados intentos" not in body, f"refused already at failure {attempt + 1}"
    # The 6th try is refused on either server, even with the right password.
    for port in (two, one):
        status, _location, body = browser.login(port, "rate@example.org")
        assert status == 429 or "Demasiados intentos fallidos" in body, (status, body[:1000])
        assert status != 302
    assert "sessionid" not in browser.cookies or browser.get(one, "/pedidos/")[0] == 302


def test_cart_started_on_one_server_is_checked_out_on_the_other(site):
    one, two = site["ports"]
    browser = Browser()
    status, _location, body = browser.post(
        one, "/cesta/agregar/", {"product": site["product"], "quantity": "3"}, "/cuenta/login/"
    )
    assert status == 302, body[:1000]
    status, _location, body = browser.get(two, "/cesta/")
    assert status == 200 and "Yuca fresca" in body

    status, _location, body = browser.login(one, "carla@example.org")
    assert status == 302, body[:1000]

    status, location, body = browser.post(
        two,
        "/pedido/",
        {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"},
        "/pedido/",
    )
    assert status == 302 and "/pedidos/" in location, (status, body[:2000])
    rows = sql(
        "SELECT o.number, l.product_id, l.quantity FROM orders_order o "
        "JOIN orders_orderline l ON l.order_id = o.id JOIN market_user u ON u.id = o.buyer_id "
        "WHERE u.email = %s",
        ["carla@example.org"],
    )
    assert len(rows) == 1
    number, product_id, quantity = rows[0]
    assert product_id == site["product"] and quantity == 3
    assert location.rstrip("/").endswith(number)
    assert browser.get(one, location)[0] == 200


def test_market_closing_started_on_both_servers_at_once_sends_its_emails_once(site):
    env = site["env"]
    outputs = run_together([(env, ["close_markets"]), (env, ["close_markets"])])
    assert sorted(out.strip() for out in outputs) == ["markets closed 0", "markets closed 1"]
    assert sql("SELECT count(*) FROM cms_marketclosing WHERE event_id = %s", [site["event"]]) == [(1,)]
    # The closing's messages are outbox rows written with the claim: the manager's list and
    # the two buyers' reminders, one row each (each has only e-mail).
    assert closing_messages() == [("market_list", 1), ("pickup_reminder", 2)]

    folder = site["tmp"] / "mail-closing"
    run(
        {**env, "EMAIL_FILE_PATH": str(folder)},
        "jobs_worker",
        "--backend",
        "jobs",
        "--batch",
        "--no-startup-delay",
        what="jobs_worker",
    )
    closing = [m for m in mails(folder) if MARKET_TITLE in m["Subject"]]
    recipients = sorted(m["To"] for m in closing)
    assert recipients == ["gerente@example.org", "luz@example.org", "rosa@example.org"]
    assert sql(
        "SELECT count(*) FROM cms_marketorder WHERE event_id = %s AND reminder_sent_at IS NULL",
        [site["event"]],
    ) == [(0,)]
    assert sql(
        "SELECT count(*) FROM market_message WHERE kind IN ('market_list', 'pickup_reminder') "
        "AND state <> 'sent'"
    ) == [(0,)]
    assert task_results("message_send"), "no message_send task ran"
    # Every queued task ran and succeeded (the checkout's order_placed too).
    assert unfinished_or_failed() == []

    # The scheduler's next run on either server finds nothing more to write or send.
    assert run(env, "close_markets", what="close_markets").strip() == "markets closed 0"
    assert closing_messages() == [("market_list", 1), ("pickup_reminder", 2)]


def test_tasks_queued_by_one_process_run_once_with_two_workers(site):
    """Eight events (eight "your order changed" messages in the outbox) written by one process,
    two jobs workers at once: each send task is claimed by one worker, each e-mail leaves once."""
    env = site["env"]
    queued = 8
    write = (
        "from django.db import transaction\n"
        "from orders.models import Order, OrderEvent\n"
        "from orders.notifications import order_changed\n"
        "order = Order.objects.filter(buyer__email='rosa@example.org').first()\n"
        "with transaction.atomic():\n"
        f"    for n in range({queued}):\n"
        "        logged = OrderEvent.objects.record(\n"
        "            order_id=order.pk, to_status=order.status, reason=str(n))\n"
        "        order_changed(order, event_id=logged.pk, change=f'Panela: {n}')\n"
        "print('written')"
    )
    assert run(env, "shell", "-c", write, what="write").strip().endswith("written")

    folders = [site["tmp"] / f"mail-worker-{n}" for n in (1, 2)]
    run_together(
        [
            (
                {**env, "EMAIL_FILE_PATH": str(folder)},
                ["jobs_worker", "--backend", "jobs", "--batch", "--no-startup-delay", "--interval", "0.1"],
            )
            for folder in folders
        ]
    )
    notices = [m for folder in folders for m in mails(folder) if "cambió" in m["Subject"]]
    assert len(notices) == queued
    assert {m["To"] for m in notices} == {"rosa@example.org"}
    rows = task_results("message_send")
    changed = sql("SELECT count(*) FROM market_message WHERE kind = 'order_changed' AND state = 'sent'")
    assert changed == [(queued,)]
    assert len(rows) >= queued
    for id_, status, worker_ids in rows:
        assert status == "SUCCESSFUL"
        assert len(worker_ids) == 1, f"task {id_} was claimed by {worker_ids}"
    assert unfinished_or_failed() == []
