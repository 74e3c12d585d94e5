"""`make bench` (full) and `make bench-ci` / `BENCH_SHORT=1 make bench` (short).

    .venv/bin/python -m bench.run

1. The benchmark's own database, never the dev one: a SQLite file under bench-results/db/,
   or, when DATABASE_URL points at PostgreSQL, the databases `minga_bench[_short]` (the
   built copy) and `minga_bench[_short]_run` (this run's copy) on that server. The built
   copy is kept and reused while its fingerprint (VERSION, the profile, bench/build.py,
   the project's migrations and requirements.lock) is unchanged; every run starts from
   a fresh copy of it, so runs do not drift.
2. collectstatic into bench-results/static (WhiteNoise serves the manifest's files).
3. `bench.build prepare`: market clocks, sessions minted with this run's secret key,
   prefilled baskets, and the plan for the driver.
4. gunicorn with production settings (DEBUG off, a random secret key, ALLOWED_HOSTS
   127.0.0.1, no https redirect on loopback http) on a free loopback port.
5. `bench/load.py steady`, then `bench.build open-rush` and `bench/load.py rush`.
6. `bench.build verify`: counters against orders, read back from the database.
7. The report: bench-results/report-<profile>-<sqlite|postgresql>.md and .json, and a summary table.

Exits 1 when the rush sells other than exactly the offered units, oversells, or any
scenario has errors, or a counter disagrees with the orders.
"""

import hashlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

from bench import PROFILES, VERSION, profile_name
from bench.publish import problems as publish_problems
from bench.publish import table as publish_table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results"
PYTHON = sys.executable
APPS = ("market", "cooperatives", "catalog", "orders", "cms")
SCENARIOS = (
    "floor",
    "home",
    "catalogue",
    "product",
    "storefront",
    "storefront-1000",
    "storefront-anonymous",
    "cart_add",
    "checkout",
)
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))


def say(message: str) -> None:
    print(message, flush=True)


def fingerprint(profile: str, engine: str) -> str:
    digest = hashlib.sha256(f"{VERSION}|{profile}|{engine}|{PROFILES[profile]!r}".encode())
    files = [ROOT / "bench" / "build.py", ROOT / "requirements.lock"]
    for app in APPS:
        files += sorted((ROOT / app / "migrations").glob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases ----------------------------------------------------------------------------------


class SqliteDatabases:
    engine = "sqlite"

    def __init__(self, profile: str):
        folder = RESULTS / "db"
        folder.mkdir(parents=True, exist_ok=True)
        self.built = folder / f"bench-{profile}.sqlite3"
        self.run = folder / f"bench-{profile}-run.sqlite3"

    def describe(self) -> str:
        return f"SQLite {self.run.relative_to(ROOT)}"

    def built_url(self) -> str:
        return f"sqlite:///{self.built}"

    def run_url(self) -> str:
        return f"sqlite:///{self.run}"

    def built_fingerprint(self) -> str:
        if not self.built.exists():
            return ""
        try:
            with sqlite3.connect(self.built) as conn:
                row = conn.execute("SELECT value FROM bench_meta WHERE key = 'fingerprint'").fetchone()
        except sqlite3.Error:
            return ""
        return row[0] if row else ""

    def reset_built(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.built}{suffix}").unlink(missing_ok=True)

    def copy_for_run(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.run}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(self.built)
        target = sqlite3.connect(self.run)
        with target:
            source.backup(target)
        source.close()
        target.close()


class PostgresDatabases:
    engine = "postgresql"

    def __init__(self, profile: str, url: str):
        self.url = urllib.parse.urlsplit(url)
        suffix = "" if profile == "full" else f"_{profile}"
        # A URL naming a bench database (minga_search_bench) names the run's databases, so
        # that two benches on one server do not share them; any other name is never touched.
        named = self.url.path.lstrip("/")
        base = named if "bench" in named else "minga_bench"
        self.built = f"{base}{suffix}"
        self.run = f"{base}{suffix}_run"

    def _url(self, name: str) -> str:
        return urllib.parse.urlunsplit(self.url._replace(path=f"/{name}"))

    def describe(self) -> str:
        return f"PostgreSQL {self.url.hostname}:{self.url.port or 5432}/{self.run}"

    def built_url(self) -> str:
        return self._url(self.built)

    def run_url(self) -> str:
        return self._url(self.run)

    def _admin(self):
        import psycopg

        return psycopg.connect(self._url("postgres"), autocommit=True, connect_timeout=10)

    def built_fingerprint(self) -> str:
        import psycopg

        try:
            with psycopg.connect(self.built_url(), connect_timeout=10) as conn:
                row = conn.execute("SELECT value FROM bench_meta WHERE key = 'fingerprint'").fetchone()
        except psycopg.Error:
            return ""
        return row[0] if row else ""

    def _recreate(self, name: str, template: str | None = None) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if template:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def reset_built(self) -> None:
        self._recreate(self.built)

    def copy_for_run(self) -> None:
        self._recreate(self.run, template=self.built)


# --- processes --------------------------------------------------------------------------------


def django_env(database_url: str, media: Path, secret: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "MINGA_BENCH": "true",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "SITE_URL": f"http://127.0.0.1:{port}",
            # Always explicit, so that a developer's .env can never point the bench at her db.
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media),
            # The anonymous page cache as the embedded set-up has it (files), emptied per run.
            "MINGA_PAGE_CACHE_DIR": str(RESULTS / "page-cache"),
            "MEDIA_URL": "/media/",
            "MINGA_BENCH_STATIC_ROOT": str(RESULTS / "static"),
            "MINGA_BENCH_FLOOR_FILE": str(RESULTS / "floor.html"),
            # Production runs e-mails in the task worker: requests only queue them.
            "TASKS_WORKER": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("SQLITE_PATH", None)
    env.pop("AWS_STORAGE_BUCKET_NAME", None)  # media on local disk; nothing is fetched from it
    return env


def step(args: list[str], env: dict, *, what: str) -> None:
    completed = subprocess.run([PYTHON, *args], cwd=ROOT, env=env)
    if completed.returncode:
        raise SystemExit(f"bench: {what} failed (exit {completed.returncode})")


def json_step(args: list[str], env: dict, *, what: str, out: Path) -> dict:
    step([*args, "--out", str(out)], env, what=what)
    return json.loads(out.read_text())


def get(port: int, path: str, timeout=5.0) -> tuple[int, bytes]:
    status, body, _headers = get_with_headers(port, path, timeout)
    return status, body


def get_with_headers(port: int, path: str, timeout=5.0) -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", "Accept-Language": "es"})
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


def page_cache_check(port: int, path: str) -> dict:
    """Two anonymous visitors (no cookie) one after the other: the second must not be rendered."""
    answers = [get_with_headers(port, path)[2] for _n in range(2)]
    return {
        "first": answers[0].get("x-page-cache", ""),
        "second": answers[1].get("x-page-cache", ""),
        "second_queries": int(answers[1].get("x-queries", "-1")),
    }


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "market.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "gthread",
        "--threads",
        str(THREADS),
        "--keep-alive",
        "10",
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--error-logfile",
        str(log),
    ]
    handle = log.open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(server: subprocess.Popen, port: int, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("bench: gunicorn exited at start (see bench-results/gunicorn-*.log)")
        try:
            status, _body = get(port, "/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("bench: gunicorn did not answer in time")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the search scale ---------------------------------------------------------------------------

# What buyers type: common words (most products match), a rare one, two words, a typo, a
# word start, a second page, a search within a category.
SEARCHES = [
    "/catalogo/?q=cafe",
    "/catalogo/?q=yuca",
    "/catalogo/?q=miel+de+abejas",
    "/catalogo/?q=yuka",
    "/catalogo/?q=panela+organica",
    "/catalogo/?q=caf",
    "/catalogo/?q=cacao&page=2",
    "/catalogo/?q=platano&category=frutas",
    "/catalogo/?q=borojo",
    "/catalogo/?q=cafe+anori",
]


def search_row(profile: str) -> str:
    return f"search-{PROFILES[profile]['search_products'] // 1000}k"


def search_scale(profile: str, dbs, secret: str, work: Path) -> dict:
    """The `search-100k` row: catalogue searches on a database of its own with
    `search_products` products (built once per fingerprint; only read), under the same
    gunicorn settings as the other rows, by anonymous visitors, with the anonymous page
    cache keeping no page (`MINGA_BENCH_PAGE_CACHE=off`, bench.settings): the driver repeats
    ten searches, which the cache would otherwise answer after their first request, so the
    row would measure the cache. Every request searches and renders, as a search no one made
    since the last change does (`page_cache` in the row: a repeated search must be rendered
    again); the category counts every page shares stay cached, as between two changes.
    Returns the load driver's row."""
    p = PROFILES[profile]
    name = search_row(profile)
    if isinstance(dbs, PostgresDatabases):
        search_dbs = PostgresDatabases(profile, urllib.parse.urlunsplit(dbs.url))
        search_dbs.built = search_dbs.run = f"{dbs.built}_search"
    else:
        search_dbs = SqliteDatabases(profile)
        search_dbs.built = search_dbs.run = RESULTS / "db" / f"bench-{profile}-search.sqlite3"
    media = RESULTS / f"media-{dbs.engine}-{profile}-search"
    port = free_port()
    wanted = fingerprint(profile, dbs.engine) + "-search"
    build_file = work / "build-search.json"
    if search_dbs.built_fingerprint() != wanted or not build_file.exists() or not media.exists():
        say(f"building the {name} database (cached afterwards)...")
        search_dbs.reset_built()
        shutil.rmtree(media, ignore_errors=True)
        env = django_env(search_dbs.built_url(), media, secret, port)
        info = json_step(
            ["-m", "bench.build", "build-search", "--profile", profile, "--fingerprint", wanted],
            env,
            what="build-search",
            out=build_file,
        )
        say(f"  built in {info['migrate_s'] + info['data_s']:.0f} s")
    env = django_env(search_dbs.built_url(), media, secret, port)
    env["MINGA_BENCH_PAGE_CACHE"] = "off"
    plan_file = work / "plan-search.json"
    steady = {k: p[k] for k in ("warmup_s", "duration_s", "max_requests", "concurrency")}
    plan_file.write_text(json.dumps({"search": SEARCHES, "search_row": name, "steady": steady}))
    log = RESULTS / f"gunicorn-{profile}-search.log"
    server = start_gunicorn(env, port, log)
    try:
        wait_ready(server, port)
        rendered = page_cache_check(port, SEARCHES[0])
        out = work / "steady-search.json"
        step(
            [str(ROOT / "bench" / "load.py"), "steady", "--base", f"http://127.0.0.1:{port}"]
            + ["--plan", str(plan_file), "--out", str(out)],
            env,
            what="search load",
        )
    finally:
        stop(server)
    row = json.loads(out.read_text())[name]
    row["products"] = json.loads(build_file.read_text())["counts"]["products"]
    row["page_cache"] = rendered
    return row


# --- report -------------------------------------------------------------------------------------


def busy(meta: dict) -> bool:
    """Other processes shared the cores (the bench itself adds about 2 while it runs)."""
    return meta["load_before"] > 1.0 or meta["load_after"] > 4.0


# Budgets on what does not depend on the machine (never on times): queries per request and
# bytes of the storefront's first screen, and the anonymous page cache (issue 13).
BUDGETS = {
    # Signed in: her session, her user and her basket's lines; the page itself is kept for
    # every signed-in buyer (rendered during the warm-up). One more when a change between
    # two requests makes the market's prices be read again.
    "storefront-1000": {"queries_max": 4, "gzip_bytes": 30 * 1024},
    "storefront-anonymous": {"queries_max": 8, "gzip_bytes": 30 * 1024},
    "storefront": {"gzip_bytes": 30 * 1024},
}


# A search page, whatever the catalogue's size: the filters (3), two probes, a typo's and a
# word start's look-ups in the vocabulary, two more probes, the cards (3).
SEARCH_QUERIES_MAX = 12


def budget_problems(result: dict) -> list[str]:
    problems = []
    for name, limits in BUDGETS.items():
        row = result["scenarios"].get(name)
        if row is None:
            problems.append(f"{name}: not measured")
            continue
        for key, limit in limits.items():
            if row.get(key) is not None and row[key] > limit:
                problems.append(f"{name}: {key} {row[key]} above its budget {limit}")
    cached = result.get("page_cache", {})
    if cached.get("second") != "hit":
        problems.append(f"page cache: a second anonymous visitor was rendered again ({cached})")
    for name, row in result["scenarios"].items():
        if not name.startswith("search-"):
            continue
        if row.get("page_cache", {}).get("second") != "miss":
            problems.append(f"{name}: a repeated search came from the page cache ({row.get('page_cache')})")
        if row.get("queries_max") is not None and row["queries_max"] > SEARCH_QUERIES_MAX:
            problems.append(f"{name}: queries_max {row['queries_max']} above its budget {SEARCH_QUERIES_MAX}")
    return problems


def check(result: dict) -> list[str]:
    problems = []
    rush = result["rush"]
    if rush["units_sold"] != rush["offered_units"]:
        problems.append(f"rush sold {rush['units_sold']:g} units, not exactly {rush['offered_units']}")
    if rush["oversold"] > 0:
        problems.append(f"rush oversold {rush['oversold']:g} units")
    if rush["errors"]:
        problems.append(f"rush had {rush['errors']} errors: {rush['error_examples']}")
    for name, row in result["scenarios"].items():
        if row["errors"]:
            problems.append(f"{name}: {row['errors']} errors: {row['error_examples']}")
        if not row["requests"]:
            problems.append(f"{name}: no request recorded")
    problems += budget_problems(result)
    for slug, market in result["verify"]["markets"].items():
        for key in (
            "stock_counters_mismatched",
            "slot_counters_mismatched",
            "offers_oversold",
            "slots_overfilled",
        ):
            if market[key]:
                problems.append(f"{slug}: {key} = {market[key]}")
    return problems


def table(result: dict) -> str:
    head = (
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | queries | CPU ms | KB | KB gzip | × floor |"
    )
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in result["scenarios"].items():
        rows.append(
            f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} "
            f"| {r['errors']} | {r['queries'] if r['queries'] is not None else '–'} "
            f"| {r['cpu_ms'] if r['cpu_ms'] is not None else '–'} "
            f"| {r['bytes'] / 1024:.1f} | {r['gzip_bytes'] / 1024:.1f} | {r['ratio_to_floor']:.3f} |"
        )
    return "\n".join(rows)


def rush_text(rush: dict) -> str:
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(rush["outcomes"].items()))
    slots = ", ".join(f"{s['taken']}/{s['capacity']}" for s in rush["slots"])
    return (
        f"{rush['buyers']} buyers within {rush['window_s']:g} s of the opening, one offer of "
        f"{rush['offered_units']} units, pickup slots {slots} (taken/capacity).\n\n"
        f"- orders placed: **{rush['orders_placed']}** (database: {rush['orders_in_db']})\n"
        f"- units sold: **{rush['units_sold']:g}** of {rush['offered_units']} "
        f"(counter: {rush['counter_sold']:g})\n"
        f"- oversold: **{rush['oversold']:g}**\n"
        f"- errors: **{rush['errors']}** (5xx or failed connections among {rush['requests']} requests: "
        f"{rush['server_errors']})\n"
        f"- latency per request: p50 {rush['p50_ms']:.0f} ms, **p95 {rush['p95_ms']:.0f} ms**, "
        f"p99 {rush['p99_ms']:.0f} ms; whole journey p95 {rush['journey_p95_ms']:.0f} ms\n"
        f"- outcomes: {outcomes}"
    )


def markdown(result: dict) -> str:
    meta = result["meta"]
    build = result["build"]
    problems = result["problems"]
    lines = [
        f"# Minga bench ({meta['profile']}) — {meta['finished_at']}",
        "",
        f"Commit {meta['commit']}; {meta['cpus']} CPUs; Python {meta['python']}; {meta['database']}; "
        f"gunicorn {meta['workers']} workers × {meta['threads']} threads (gthread); "
        f"{meta['concurrency']} concurrent keep-alive clients; {meta['duration_s']:g} s per scenario "
        f"after {meta['warmup_s']:g} s of warm-up. Load average before/after: "
        f"{meta['load_before']:.2f} / {meta['load_after']:.2f}"
        + (" (other processes were busy: figures are lower than on an idle machine)." if busy(meta) else "."),
        "",
        f"Data: {', '.join(f'{v} {k}' for k, v in build['counts'].items())}"
        + (" (cached build)" if build["cached"] else f" (built in {build['seconds']:.0f} s)"),
        "",
        "## Scenarios",
        "",
        table(result),
        "",
        "## Publishing a market (seconds, wall time)",
        "",
        publish_table(result["publish"]),
        "",
        "## Opening rush",
        "",
        rush_text(result["rush"]),
        "",
        "## Verdict",
        "",
        "PASS" if not problems else "FAIL\n\n" + "\n".join(f"- {p}" for p in problems),
        "",
        'How to read this report: README.md, section "Benchmark".',
        "",
    ]
    return "\n".join(lines)


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    profile = profile_name()
    p = PROFILES[profile]
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        dbs = PostgresDatabases(profile, database_url)
    elif database_url:
        raise SystemExit("bench: DATABASE_URL must be a PostgreSQL URL (or unset for SQLite)")
    else:
        dbs = SqliteDatabases(profile)
    port = free_port()
    secret = secrets.token_urlsafe(50)
    media = RESULTS / f"media-{dbs.engine}-{profile}"
    work = RESULTS / f"run-{profile}"
    work.mkdir(exist_ok=True)
    say(f"bench ({profile}): {dbs.describe()}, gunicorn on 127.0.0.1:{port}")
    load_before = os.getloadavg()[0]
    if load_before > 1.0:
        say(f"  note: load average {load_before:.1f} before starting; other processes will skew the figures")

    # 1. The built database, reused while its fingerprint holds.
    wanted = fingerprint(profile, dbs.engine)
    build_info = {"cached": True, "seconds": 0.0}
    build_file = work / "build.json"
    if dbs.built_fingerprint() != wanted or not build_file.exists() or not media.exists():
        say("building the benchmark database (cached afterwards)...")
        t0 = time.monotonic()
        dbs.reset_built()
        shutil.rmtree(media, ignore_errors=True)
        env = django_env(dbs.built_url(), media, secret, port)
        info = json_step(
            ["-m", "bench.build", "build", "--profile", profile, "--fingerprint", wanted],
            env,
            what="build",
            out=build_file,
        )
        took = time.monotonic() - t0
        say(f"  built in {took:.0f} s (migrate {info['migrate_s']} s, data {info['data_s']} s)")
        build_info = {"cached": False, "seconds": round(time.monotonic() - t0, 1)}
    else:
        say("reusing the built benchmark database")
    build_info["counts"] = json.loads(build_file.read_text())["counts"]
    dbs.copy_for_run()
    shutil.rmtree(RESULTS / "page-cache", ignore_errors=True)  # a fresh copy: no page of the last run
    env = django_env(dbs.run_url(), media, secret, port)

    # 2-3. Static files and this run's sessions, baskets and plan.
    say("collectstatic and preparing the run...")
    step(["manage.py", "collectstatic", "--noinput", "-v", "0"], env, what="collectstatic")
    plan_file = work / "plan.json"
    plan = json_step(
        ["-m", "bench.build", "prepare", "--profile", profile], env, what="prepare", out=plan_file
    )

    # 4. gunicorn, production settings.
    log = RESULTS / f"gunicorn-{profile}.log"
    server = start_gunicorn(env, port, log)
    try:
        wait_ready(server, port)
        status, storefront = get(port, plan["storefront"])
        if status != 200:
            raise SystemExit(f"bench: the storefront answered {status}")
        (RESULTS / "floor.html").write_bytes(storefront)
        cached = page_cache_check(port, plan["storefront_big"])

        # 5. The load.
        base = f"http://127.0.0.1:{port}"
        driver = str(ROOT / "bench" / "load.py")
        say(f"steady scenarios ({p['duration_s']:g} s each, {p['concurrency']} clients):")
        steady_file = work / "steady.json"
        step(
            [driver, "steady", "--base", base, "--plan", str(plan_file), "--out", str(steady_file)],
            env,
            what="load",
        )
        steady = json.loads(steady_file.read_text())
        opened = json_step(
            ["-m", "bench.build", "open-rush", "--lead", "3"],
            env,
            what="open-rush",
            out=work / "opening.json",
        )
        say(f"opening rush: {p['rush_buyers']} buyers within {p['rush_window_s']:g} s...")
        rush_file = work / "rush.json"
        step(
            [
                driver,
                "rush",
                "--base",
                base,
                "--plan",
                str(plan_file),
                "--opens-at",
                str(opened["opens_at_epoch"]),
                "--out",
                str(rush_file),
            ],
            env,
            what="rush",
        )
        rush = json.loads(rush_file.read_text())
    finally:
        stop(server)

    # 6. What the database says.
    verified = json_step(["-m", "bench.build", "verify"], env, what="verify", out=work / "verify.json")
    say("publishing large markets...")
    published = json_step(
        ["-m", "bench.publish", "--profile", profile], env, what="publish", out=work / "publish.json"
    )
    rush.update(
        {
            "units_sold": verified["rush"]["units_sold"],
            "counter_sold": verified["rush"]["counter_sold"],
            "oversold": verified["rush"]["oversold"],
            "orders_in_db": verified["rush"]["orders"],
            "slots": verified["rush"]["slots"],
        }
    )
    steady[search_row(profile)] = search_scale(profile, dbs, secret, work)
    floor = steady.get("floor", {}).get("rps") or 0
    for row in steady.values():
        row["ratio_to_floor"] = round(row["rps"] / floor, 3) if floor else 0.0

    # 7. Report.
    result = {
        "meta": {
            "profile": profile,
            "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": dbs.describe(),
            "workers": WORKERS,
            "threads": THREADS,
            "concurrency": p["concurrency"],
            "duration_s": p["duration_s"],
            "warmup_s": p["warmup_s"],
            "total_s": round(time.monotonic() - started, 1),
            "load_before": round(load_before, 2),
            "load_after": round(os.getloadavg()[0], 2),
        },
        "build": build_info,
        "scenarios": {name: steady[name] for name in (*SCENARIOS, search_row(profile)) if name in steady},
        "rush": rush,
        "verify": verified,
        "publish": published,
        "page_cache": cached,
    }
    result["problems"] = check(result) + publish_problems(published)
    report = RESULTS / f"report-{profile}-{dbs.engine}"
    report.with_suffix(".json").write_text(json.dumps(result, indent=1))
    report.with_suffix(".md").write_text(markdown(result))
    say("")
    say(table(result))
    say("")
    say(publish_table(published))
    say("")
    say("Opening rush: " + rush_text(rush).replace("**", ""))
    say("")
    say(f"Report: {report.relative_to(ROOT)}.md and .json ({result['meta']['total_s']:.0f} s in all)")
    if result["problems"]:
        say("FAIL:\n" + "\n".join(f"  - {p}" for p in result["problems"]))
        return 1
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
