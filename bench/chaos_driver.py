"""The buyers of `make chaos`: threads, each with its own cookie jar, on two app servers.

Standard library only. Every request opens a new loopback connection (a killed worker must
not leave a client holding a dead keep-alive socket) and has a timeout. A connection the
server refused before reading anything is retried (that is the harness's own problem); a
request that reached the app is never retried: its answer, or the connection dying under
it, is what gets recorded.

The scenarios (see `Driver.threads`):

- catalogue buyers: a few units of one product, checkout, again, until the chaos phase ends
  or the harvest runs out (a refused checkout empties the basket and goes on);
- market buyers: one order in the market, with a pickup slot, retried on refusal;
- double submits: one basket per buyer, and the same checkout POST sent three times at once
  (threads sharing the cookie jar) to both servers, catalogue and market;
- credit: the organisation's members, each with a basket of `CREDIT_BASKET_COP`, check out
  on invoice at the same moment;
- browsers: anonymous visitors reading the home page, the catalogue, products and the market.

Each thread logs in through the real login form, prepares its basket, reports ready, then
waits for `go` and acts at its moment of the chaos phase (seconds after t0).
"""

import http.client
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

TIMEOUT_S = 20.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SLOT_INPUT = re.compile(r'name="slot" value="(\d+)"')
ORDER_LOCATION = re.compile(r"/pedidos/(MG-[A-Z0-9]+)/")
REFUSED_BEFORE_SENDING = (ConnectionRefusedError,)
HONEY_UNITS_CREDIT = "4"  # 4 × $ 5.000 = $ 20.000 on invoice, per member
SERVER_NAMES = "AB"


@dataclass
class Answer:
    status: int = 0  # 0: no HTTP answer (see error)
    location: str = ""
    body: str = ""
    error: str = ""

    @property
    def order_number(self) -> str:
        match = ORDER_LOCATION.search(self.location) if self.status in (302, 303) else None
        return match.group(1) if match else ""


@dataclass
class Request:
    at: float  # seconds since t0 (negative: before the chaos phase)
    server: int
    method: str
    what: str
    status: int
    error: str
    elapsed: float


@dataclass
class Checkout:
    """One checkout POST and what it did."""

    kind: str  # catalogue, market, double-catalogue, double-market, credit
    buyer: str
    server: int
    at: float
    status: int
    error: str
    number: str  # the order number the answer pointed to, if any
    group: str = ""


@dataclass
class Group:
    """A double submit: one basket, three simultaneous POSTs."""

    name: str
    buyer: str
    channel: str
    at: float
    prepared: bool = False
    note: str = ""
    posts: list = field(default_factory=list)


class Driver:
    def __init__(self, ports: list[int], data: dict, schedule: dict, stop_after: float):
        self.ports = ports
        self.data = data
        self.schedule = schedule
        self.stop_after = stop_after
        self.lock = threading.Lock()
        self.requests: list[Request] = []
        self.checkouts: list[Checkout] = []
        self.groups: dict[str, Group] = {}
        self.problems: list[str] = []  # the harness could not play a part (login refused...)
        self.ready_count = 0
        self.go = threading.Event()
        self.t0 = None
        self.password = data["password"]
        self.market = data["market"]["path"]
        self.tracked = [p for p in data["products"] if p["tracked"]]
        self.honey = data["honey"]

    # --- bookkeeping --------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.t0 if self.t0 is not None else -1.0

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def ready(self) -> None:
        with self.lock:
            self.ready_count += 1

    def wait_go(self) -> bool:
        return self.go.wait(timeout=180)

    def sleep_until(self, offset: float) -> None:
        delay = self.t0 + offset - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def running(self) -> bool:
        return self.now() < self.stop_after

    def checkout_done(self, kind, buyer, server, answer: Answer, group="") -> Checkout:
        entry = Checkout(
            kind=kind,
            buyer=buyer,
            server=server,
            at=round(self.now(), 2),
            status=answer.status,
            error=answer.error,
            number=answer.order_number,
            group=group,
        )
        with self.lock:
            self.checkouts.append(entry)
        return entry

    # --- the scenarios ------------------------------------------------------------------

    def threads(self) -> list[threading.Thread]:
        households = list(self.data["households"])
        catalogue, market, double = households[:12], households[12:24], households[24:30]
        threads = []

        def spawn(target, *args):
            threads.append(threading.Thread(target=self._guard, args=(target, *args), daemon=True))

        for index, email in enumerate(catalogue):
            spawn(self.catalogue_buyer, email, index)
        for index, email in enumerate(market):
            spawn(self.market_buyer, email, index)
        for index, email in enumerate(double):
            channel = "catalogue" if index % 2 == 0 else "market"
            at = self.schedule["double_submits"][index // 2]
            group = Group(name=f"{channel} #{index // 2 + 1}", buyer=email, channel=channel, at=at)
            self.groups[group.name] = group
            spawn(self.double_submit, group, index)
        for index, email in enumerate(self.data["members"]):
            spawn(self.credit_member, email, index)
        for index in range(2):
            spawn(self.browser, index)
        return threads

    def _guard(self, target, *args) -> None:
        """A scenario that crashes is the harness's bug: it is reported, never hidden."""
        try:
            target(*args)
        except Exception as exc:
            self.problem(f"{target.__name__}{args[:1]}: {type(exc).__name__}: {exc}")
            with self.lock:
                self.ready_count += 1  # do not hold the start back

    def _signed_in(self, email: str, server: int) -> "Browser | None":
        browser = Browser(self, email)
        for attempt in range(3):
            if browser.login(server, email, self.password):
                return browser
            time.sleep(0.5 + attempt)
        self.problem(f"{email} could not sign in")
        return None

    def catalogue_buyer(self, email: str, index: int) -> None:
        browser = self._signed_in(email, index % 2)
        self.ready()
        if browser is None or not self.wait_go():
            return
        rng = random.Random(index)
        self.sleep_until(rng.uniform(0, 2))
        refused_adds = 0
        while self.running() and refused_adds < 4:
            product = rng.choice(self.tracked)
            quantity = rng.choice(["1", "1.5", "2", "3"])
            browser.post(
                rng.randrange(2),
                "/cesta/agregar/",
                {"product": product["id"], "quantity": quantity, "next": "/cesta/"},
                what="cart add",
            )
            server = rng.randrange(2)
            page = browser.get(server, "/pedido/", what="checkout form")
            if page.status in (301, 302):
                refused_adds += 1  # empty basket: the add was refused (sold out)
                time.sleep(rng.uniform(0.5, 1.5))
                continue
            refused_adds = 0
            token = browser.token(page)
            if page.status != 200 or not token:
                time.sleep(1)
                continue
            server = rng.randrange(2)
            answer = browser.post(
                server,
                "/pedido/",
                {
                    "buyer": "self",
                    "delivery_method": "pickup",
                    "payment_method": rng.choice(["cash", "transfer"]),
                },
                token=token,
                what="checkout",
            )
            self.checkout_done("catalogue", email, server, answer)
            if not answer.order_number:
                browser.post(
                    rng.randrange(2), "/cesta/quitar/", {"product": product["id"]}, what="cart remove"
                )
            time.sleep(rng.uniform(1.5, 3.5))

    def market_buyer(self, email: str, index: int) -> None:
        browser = self._signed_in(email, index % 2)
        self.ready()
        if browser is None or not self.wait_go():
            return
        rng = random.Random(100 + index)
        self.sleep_until(rng.uniform(0, self.stop_after - 6))
        for _attempt in range(3):
            if not self.running():
                return
            product = rng.choice(self.data["market"]["buyer_products"])
            browser.post(
                rng.randrange(2),
                self.market + "cesta/",
                {"product": product, "quantity": rng.choice(["2", "3", "4", "5"]), "action": "add"},
                what="market cart add",
            )
            server = rng.randrange(2)
            page = browser.get(server, self.market + "pedido/", what="market checkout form")
            if page.status in (301, 302):
                time.sleep(1)
                continue  # the add was refused: sold out in the market
            token, slots = browser.token(page), SLOT_INPUT.findall(page.body)
            if page.status == 200 and token and not slots:
                self._market_remove(browser, rng, product)
                return  # every slot is full: she goes home
            if page.status != 200 or not token:
                time.sleep(1)
                continue
            server = rng.randrange(2)
            answer = browser.post(
                server,
                self.market + "pedido/",
                {
                    "buyer": "self",
                    "delivery_method": "pickup",
                    "slot": rng.choice(slots),
                    "payment_method": rng.choice(["cash", "transfer"]),
                },
                token=token,
                what="market checkout",
            )
            self.checkout_done("market", email, server, answer)
            if answer.order_number:
                return
            self._market_remove(browser, rng, product)
            time.sleep(rng.uniform(0.5, 1.5))

    def _market_remove(self, browser, rng, product) -> None:
        browser.post(
            rng.randrange(2),
            self.market + "cesta/",
            {"product": product, "quantity": "1", "action": "remove"},
            what="market cart remove",
        )

    def double_submit(self, group: Group, index: int) -> None:
        browser = self._signed_in(group.buyer, index % 2)
        if browser is None:
            group.note = "could not sign in"
            self.ready()
            return
        if group.channel == "catalogue":
            add, checkout = "/cesta/agregar/", "/pedido/"
            add_form = {"product": self.honey, "quantity": "1", "next": "/cesta/"}
            form = {"buyer": "self", "delivery_method": "pickup", "payment_method": "cash"}
        else:
            add, checkout = self.market + "cesta/", self.market + "pedido/"
            add_form = {"product": self.honey, "quantity": "1", "action": "add"}
            form = {
                "buyer": "self",
                "delivery_method": "delivery",
                "delivery_address": "Calle 8 # 22-10, San José del Guaviare",
                "payment_method": "transfer",
            }
        browser.post(index % 2, add, add_form, what="cart add")
        page = browser.get(index % 2, checkout, what="checkout form")
        token = browser.token(page)
        group.prepared = page.status == 200 and bool(token)
        if not group.prepared:
            group.note = f"checkout form answered {page.status or page.error}"
        self.ready()
        if not group.prepared or not self.wait_go():
            return
        self.sleep_until(group.at)
        barrier = threading.Barrier(3, timeout=30)
        servers = [index % 2, (index + 1) % 2, index % 2]

        def send(server):
            barrier.wait()
            answer = browser.post(server, checkout, form, token=token, what="double submit")
            entry = self.checkout_done(f"double-{group.channel}", group.buyer, server, answer, group.name)
            with self.lock:
                group.posts.append(entry)

        senders = [threading.Thread(target=send, args=(s,), daemon=True) for s in servers]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=TIMEOUT_S + 35)

    def credit_member(self, email: str, index: int) -> None:
        browser = self._signed_in(email, index % 2)
        if browser is None:
            self.ready()
            return
        browser.post(
            index % 2,
            "/cesta/agregar/",
            {"product": self.honey, "quantity": HONEY_UNITS_CREDIT, "next": "/cesta/"},
            what="cart add",
        )
        page = browser.get((index + 1) % 2, "/pedido/", what="checkout form")
        token = browser.token(page)
        if page.status != 200 or not token or 'value="invoice"' not in page.body:
            self.problem(f"{email}: no invoice option on the checkout form ({page.status or page.error})")
            self.ready()
            return
        self.ready()
        if not self.wait_go():
            return
        self.sleep_until(self.schedule["credit"])
        # Six on server A and four on B: either way, one server alone can pass the limit
        # ($ 100.000 = five baskets) if its checks race; five and five could each stop at it.
        server = 0 if index % 5 < 3 else 1
        answer = browser.post(
            server,
            "/pedido/",
            {
                "buyer": str(self.data["organization"]["id"]),
                "delivery_method": "pickup",
                "payment_method": "invoice",
                "purchase_order_number": f"OC-{index + 1:03d}",
            },
            token=token,
            what="credit checkout",
        )
        self.checkout_done("credit", email, server, answer)

    def browser(self, index: int) -> None:
        self.ready()
        if not self.wait_go():
            return
        rng = random.Random(200 + index)
        paths = ["/", "/catalogo/", self.market, *[p["path"] for p in self.data["products"]]]
        browser = Browser(self, f"visitor {index}")
        while self.running():
            browser.get(rng.randrange(2), rng.choice(paths), what="browse")
            time.sleep(rng.uniform(0.2, 0.5))


class Browser:
    """A plain-http client with its own cookie jar. Unlike a browser it sends Secure cookies
    over http (loopback stands for the TLS-terminating proxy). Threads may share one."""

    def __init__(self, driver: Driver, name: str):
        self.driver = driver
        self.name = name
        self.cookies: dict[str, str] = {}
        self.lock = threading.Lock()

    def token(self, page: Answer) -> str:
        match = CSRF_INPUT.search(page.body)
        return match.group(1) if match else ""

    def _once(self, port: int, method: str, path: str, body, headers) -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        with self.lock:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return Answer(response.status, response.headers.get("Location", ""), text)

    def request(self, server: int, method: str, path: str, form=None, *, what: str) -> Answer:
        port = self.driver.ports[server]
        headers = {"Host": "127.0.0.1", "Accept-Language": "es"}
        with self.lock:
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        answer = Answer(error="not sent")
        for attempt in range(4):
            try:
                answer = self._once(port, method, path, body, headers)
                break
            except REFUSED_BEFORE_SENDING as exc:
                answer = Answer(error=f"{type(exc).__name__}")
                time.sleep(0.2 * (attempt + 1))  # nothing reached the app: safe to try again
            except (OSError, http.client.HTTPException) as exc:
                answer = Answer(error=f"{type(exc).__name__}: {exc}"[:120])
                if method != "GET":
                    break  # it may have reached the app: never sent twice by the harness
                time.sleep(0.2 * (attempt + 1))
        self.driver.record(
            Request(
                at=round(self.driver.now(), 2),
                server=server,
                method=method,
                what=what,
                status=answer.status,
                error=answer.error,
                elapsed=round(time.monotonic() - started, 3),
            )
        )
        return answer

    def get(self, server: int, path: str, *, what: str) -> Answer:
        return self.request(server, "GET", path, what=what)

    def post(self, server: int, path: str, form: dict, *, token: str = "", what: str) -> Answer:
        """POST with the form's CSRF token, or the cookie's secret (Django accepts either)."""
        if not token:
            with self.lock:
                token = self.cookies.get("csrftoken", "")
        return self.request(server, "POST", path, {"csrfmiddlewaretoken": token, **form}, what=what)

    def login(self, server: int, email: str, password: str) -> bool:
        page = self.get(server, "/cuenta/login/", what="login form")
        token = self.token(page)
        if page.status != 200 or not token:
            return False
        answer = self.post(
            server, "/cuenta/login/", {"login": email, "password": password}, token=token, what="login"
        )
        return answer.status == 302 and "sessionid" in self.cookies
