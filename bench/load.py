#!/usr/bin/env python3
"""The load driver of `make bench`: a separate process, standard library only.

    python bench/load.py steady --base http://127.0.0.1:8123 --plan plan.json --out steady.json
    python bench/load.py rush   --base http://127.0.0.1:8123 --plan plan.json --opens-at EPOCH --out rush.json

It talks only to a loopback address (anything else is refused), and every loop is bounded
in count and in time.

steady: one scenario after another, each a closed loop of `concurrency` virtual users, each
on its own keep-alive HTTP/1.1 connection, sending its next request as soon as the last
answer is read. The first `warmup_s` seconds are not recorded; recording stops after
`duration_s` seconds or `max_requests` requests, whichever comes first.

rush: every buyer of the plan arrives at a random moment within `window_s` seconds after the
market opens (one thread and one new connection each, as phones would) and tries to buy
one unit of the scarce offer: storefront, add to the basket, checkout form, place the order
with the first pickup slot offered (another one, up to three tries, when it filled up
meanwhile). "Sold out" and "slot full" answers are the market refusing politely; only 5xx
answers, unexpected statuses and failed connections count as errors.
"""

import argparse
import base64
import gzip
import http.client
import ipaddress
import json
import random
import re
import sys
import threading
import time
import urllib.parse
import zlib

TIMEOUT_S = 120.0  # per request; a slower answer counts as an error (connection timeout)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT_INPUT = re.compile(r'name="slot" value="(\d+)"')
MESSAGE_ERROR = 40  # django.contrib.messages.constants.ERROR
# cms/market_checkout.html lists the short lines in this block when stock ran out; other
# refusals (a pickup slot that filled meanwhile) are form errors, and the buyer tries again.
SOLD_OUT = '<div class="errors" role="alert"><p>'


class Response:
    __slots__ = ("status", "body", "headers", "elapsed", "error")

    def __init__(self, status=0, body=b"", headers=None, elapsed=0.0, error=""):
        self.status, self.body, self.headers, self.elapsed, self.error = (
            status,
            body,
            headers or {},
            elapsed,
            error,
        )

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    @property
    def queries(self):
        value = self.headers.get("x-queries")
        return int(value) if value and value.isdigit() else None

    @property
    def cpu_ms(self):
        try:
            return float(self.headers["x-cpu-ms"])
        except (KeyError, ValueError):
            return None


class Client:
    """One browser: a keep-alive connection and the cookies the bench cares about."""

    KEEP = None  # set of cookie names kept; None = all but Django's "messages" cookie

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = None
        self.cookies: dict[str, str] = {}
        self.last_messages = ""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _send(self, method, path, body, headers):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT_S)
        self.conn.request(method, path, body=body, headers=headers)
        raw = self.conn.getresponse()
        data = raw.read()
        return raw, data

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": f"{self.host}:{self.port}", "Accept": "text/html", "Accept-Language": "es"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reused = self.conn is not None
        started = time.perf_counter()
        try:
            try:
                raw, data = self._send(method, path, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: only a GET is retried.
                self.close()
                if not reused or method != "GET":
                    raise
                started = time.perf_counter()
                raw, data = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Response(elapsed=time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}")
        elapsed = time.perf_counter() - started
        self.last_messages = ""
        for cookie in raw.msg.get_all("Set-Cookie") or []:
            name, _sep, rest = cookie.partition("=")
            value = rest.split(";", 1)[0].strip('"')
            if name == "messages":
                self.last_messages = value
            elif self.KEEP is None or name in self.KEEP:
                if value:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        if raw.will_close:
            self.close()
        headers_out = {k.lower(): v for k, v in raw.getheaders()}
        return Response(raw.status, data, headers_out, elapsed)


def message_levels(cookie_value: str) -> list[int]:
    """Levels of the messages Django's cookie storage just set (signature not checked:
    the driver only reads its own answers). Format: base64 payload (".": zlib), ":", timestamp,
    ":", signature."""
    if not cookie_value:
        return []
    value = cookie_value.encode().decode("unicode_escape")
    payload = value.split(":", 1)[0]
    compressed = payload.startswith(".")
    payload = payload.lstrip(".")
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if compressed:
            data = zlib.decompress(data)
        messages = json.loads(data)
    except (ValueError, zlib.error):
        return []
    return [m[2] for m in messages if isinstance(m, list) and len(m) > 2 and m[0] == "__json_message"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summarise(records: list[tuple], wall_s: float, errors: int, sample: bytes, errors_seen) -> dict:
    """`records`: (seconds, body bytes, queries or None, server CPU ms or None) per answer."""
    latencies = [r[0] * 1000 for r in records]
    queries = [r[2] for r in records if r[2] is not None]
    cpu = [r[3] for r in records if r[3] is not None]
    sizes = [r[1] for r in records]
    return {
        "requests": len(records),
        "seconds": round(wall_s, 2),
        "rps": round(len(records) / wall_s, 1) if wall_s else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else 0.0,
        "errors": errors,
        "error_examples": sorted(errors_seen)[:5],
        "queries": round(sum(queries) / len(queries), 1) if queries else None,
        "queries_max": max(queries) if queries else None,
        "cpu_ms": round(sum(cpu) / len(cpu), 1) if cpu else None,
        "bytes": int(sum(sizes) / len(sizes)) if sizes else 0,
        "gzip_bytes": len(gzip.compress(sample, 6)) if sample else 0,
    }


# --- steady scenarios ---------------------------------------------------------------------------


def get_step(url_or_urls, *, expect=200):
    """A GET of one URL, or of one of several chosen at random."""

    def step(client, rng):
        url = url_or_urls if isinstance(url_or_urls, str) else rng.choice(url_or_urls)
        response = client.request("GET", url)
        return response, response.status == expect

    return step


class Scenario:
    """What one virtual user does: `setup(client)` once, then `step(client, rng)` in a loop.

    `step` returns (response, ok) or None when the scenario has nothing left to do
    (e.g. every prefilled basket was checked out)."""

    def __init__(self, name, step, setup=None):
        self.name, self.step, self.setup = name, step, setup


def csrf_setup(plan):
    def setup(client: Client):
        page = client.request("GET", plan["storefront"])
        match = CSRF_INPUT.search(page.body.decode("utf-8", "replace"))
        client.token = match.group(1) if match else ""

    return setup


def signed_in(plan):
    def setup(client: Client):
        client.cookies[plan["session_cookie"]] = plan["reader_session"]

    return setup


def scenarios(plan) -> list[Scenario]:
    if "search" in plan:  # the search scale's own run (bench.run.search_scale)
        return [Scenario(plan["search_row"], get_step(plan["search"]))]

    get = get_step

    def cart_add(client, rng):
        product, quantity = rng.choice(plan["offers"])
        response = client.request(
            "POST",
            plan["cart"],
            {"csrfmiddlewaretoken": client.token, "action": "add", "product": product, "quantity": quantity},
        )
        refused = MESSAGE_ERROR in message_levels(client.last_messages)
        return response, response.status == 302 and not refused

    sessions = list(plan["checkout_sessions"])
    lock = threading.Lock()

    def checkout(client, rng):
        with lock:
            if not sessions:
                return None
            session = sessions.pop()
        client.cookies[plan["session_cookie"]] = session
        response = client.request(
            "POST",
            plan["checkout"],
            {
                "csrfmiddlewaretoken": client.token,
                "buyer": "self",
                "delivery_method": "pickup",
                "slot": plan["checkout_slot"],
                "payment_method": "cash",
            },
        )
        return response, response.status == 302 and "/pedidos/" in response.location

    return [
        Scenario("floor", get(plan["floor"])),
        Scenario("home", get(plan["home"])),
        Scenario("catalogue", get(plan["catalogue"])),
        Scenario("product", get(plan["products"])),
        Scenario("storefront", get(plan["storefront"])),
        # The scale option: the first screen of a 1,000-offer market for a signed-in buyer (the
        # rendering kept for signed-in buyers, her basket and links filled per request), and
        # the same for anonymous visitors (their own kept rendering).
        Scenario("storefront-1000", get(plan["storefront_big"]), signed_in(plan)),
        Scenario("storefront-anonymous", get(plan["storefront_big"])),
        Scenario("cart_add", cart_add, csrf_setup(plan)),
        Scenario("checkout", checkout, csrf_setup(plan)),
    ]


def run_scenario(scenario: Scenario, host, port, settings, seed) -> dict:
    concurrency = settings["concurrency"]
    warm_until = time.perf_counter() + settings["warmup_s"]
    deadline = warm_until + settings["duration_s"]
    hard_stop = deadline + 60  # a stuck request ends the scenario anyway
    budget = [settings["max_requests"]]
    lock = threading.Lock()
    records: list[tuple] = []
    errors = [0]
    errors_seen = set()
    sample = [b""]
    started_recording = [None]
    ended = [None]

    def user(n):
        rng = random.Random(seed * 1000 + n)
        client = Client(host, port)
        try:
            if scenario.setup:
                scenario.setup(client)
            while time.perf_counter() < deadline:
                result = scenario.step(client, rng)
                if result is None:
                    break
                response, ok = result
                now = time.perf_counter()
                with lock:
                    if not ok:  # an error counts, in the warm-up too
                        errors[0] += 1
                        errors_seen.add(
                            response.error or f"HTTP {response.status} {response.location}".strip()
                        )
                    if now < warm_until:
                        continue
                    if budget[0] <= 0 or now > hard_stop:
                        break
                    budget[0] -= 1
                    if started_recording[0] is None:
                        started_recording[0] = now - response.elapsed
                    ended[0] = now
                    records.append((response.elapsed, len(response.body), response.queries, response.cpu_ms))
                    if ok and not sample[0]:
                        sample[0] = response.body
        finally:
            client.close()

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, hard_stop - time.perf_counter() + 5))
    wall = (ended[0] - started_recording[0]) if records and ended[0] else 0.0
    result = summarise(records, wall, errors[0], sample[0], errors_seen)
    result["concurrency"] = concurrency
    return result


def steady(args, plan) -> dict:
    host, port = args.host, args.port
    results = {}
    for k, scenario in enumerate(scenarios(plan)):
        if args.only and scenario.name not in args.only:
            continue
        print(f"  {scenario.name}...", end=" ", flush=True)
        results[scenario.name] = run_scenario(scenario, host, port, plan["steady"], seed=k + 1)
        r = results[scenario.name]
        print(f"{r['rps']} req/s, p95 {r['p95_ms']} ms, errors {r['errors']}", flush=True)
    return results


# --- opening rush ------------------------------------------------------------------------------


def rush(args, plan) -> dict:
    spec = plan["rush"]
    sessions = spec["sessions"]
    rng = random.Random(7)
    opens_at = args.opens_at
    arrivals = sorted(opens_at + 0.05 + rng.random() * spec["window_s"] for _ in sessions)
    lock = threading.Lock()
    requests: list[tuple] = []  # (seconds, status, error)
    outcomes: dict[str, int] = {}
    errors_seen = set()
    journeys: list[float] = []
    deadline = opens_at + spec["window_s"] + 120  # bounded: nobody waits past this

    def buyer(n, arrival):
        client = Client(args.host, args.port)
        client.cookies[plan["session_cookie"]] = sessions[n]
        mine: list[Response] = []
        delay = arrival - time.time()
        if delay > 0:
            time.sleep(delay)
        started = time.perf_counter()

        def call(method, path, form=None):
            response = client.request(method, path, form)
            mine.append(response)
            return response

        def error(response):
            return response.error or f"HTTP {response.status}"

        outcome = None
        try:
            page = call("GET", spec["storefront"])
            match = CSRF_INPUT.search(page.body.decode("utf-8", "replace"))
            if page.status != 200 or not match:
                outcome = "error", error(page) if page.status != 200 else "no form on the storefront"
                return
            token = match.group(1)
            add = call(
                "POST",
                spec["cart"],
                {
                    "csrfmiddlewaretoken": token,
                    "action": "add",
                    "product": spec["product"],
                    "quantity": spec["quantity"],
                },
            )
            if add.status != 302:
                outcome = "error", error(add)
                return
            if MESSAGE_ERROR in message_levels(client.last_messages):
                outcome = "refused: sold out when adding", ""
                return
            form = call("GET", spec["checkout"])
            tried = set()
            for attempt in range(4):  # the checkout form, then at most three orders
                if form.status == 302:
                    outcome = "refused: sent back to the market", ""
                    return
                if form.status not in (200, 400):
                    outcome = "error", error(form)
                    return
                html = form.body.decode("utf-8", "replace")
                if form.status == 400 and SOLD_OUT in html:
                    outcome = "refused: sold out at checkout", ""
                    return
                if attempt == 3:
                    outcome = "refused: pickup slots filled while trying", ""
                    return
                slots = [s for s in SLOT_INPUT.findall(html) if s not in tried] or SLOT_INPUT.findall(html)
                token_match = CSRF_INPUT.search(html)
                if not slots:
                    outcome = "refused: no pickup slot left", ""
                    return
                if not token_match:
                    outcome = "error", "no form at checkout"
                    return
                tried.add(slots[0])
                form = call(
                    "POST",
                    spec["checkout"],
                    {
                        "csrfmiddlewaretoken": token_match.group(1),
                        "buyer": "self",
                        "delivery_method": "pickup",
                        "slot": slots[0],
                        "payment_method": "cash",
                    },
                )
                if form.status == 302 and "/pedidos/" in form.location:
                    outcome = "placed", ""
                    return
        finally:
            client.close()
            with lock:
                requests.extend((r.elapsed, r.status, r.error) for r in mine)
                journeys.append((time.perf_counter() - started) * 1000)
                kind, detail = outcome or ("error", "unfinished")
                outcomes[kind] = outcomes.get(kind, 0) + 1
                if kind == "error":
                    errors_seen.add(detail)

    threads = [threading.Thread(target=buyer, args=(n, t), daemon=True) for n, t in enumerate(arrivals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.time()))
    latencies = [r[0] * 1000 for r in requests]
    server_errors = sum(1 for r in requests if r[2] or r[1] >= 500)
    first = min(arrivals) if arrivals else opens_at
    return {
        "buyers": len(sessions),
        "window_s": spec["window_s"],
        "offered_units": spec["units"],
        "outcomes": outcomes,
        "orders_placed": outcomes.get("placed", 0),
        "errors": outcomes.get("error", 0) + sum(1 for t in threads if t.is_alive()),
        "server_errors": server_errors,
        "error_examples": sorted(errors_seen)[:5],
        "requests": len(requests),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else 0.0,
        "journey_p95_ms": round(percentile(journeys, 95), 1),
        "arrivals_span_s": round(max(arrivals) - first, 2) if arrivals else 0,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Minga's bench load driver (loopback only).")
    parser.add_argument("mode", choices=["steady", "rush"])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--plan", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--opens-at", type=float, default=0.0, help="rush: the opening, as a Unix time")
    parser.add_argument("--only", nargs="*", help="steady: run only these scenarios")
    args = parser.parse_args(argv)
    url = urllib.parse.urlsplit(args.base)
    if url.scheme != "http" or not url.hostname or not ipaddress.ip_address(url.hostname).is_loopback:
        parser.error("the driver only talks to a loopback address, e.g. http://127.0.0.1:8123")
    args.host, args.port = url.hostname, url.port or 80
    with open(args.plan) as handle:
        plan = json.load(handle)
    result = steady(args, plan) if args.mode == "steady" else rush(args, plan)
    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
