"""The invariants `make chaos` checks once the load is over and the task worker has drained.

Everything is read back from the database (plain SQL, no Django) and from the e-mail files,
and compared with what there was (the build's JSON) and with what the buyers were told
(the driver's records). Each check is a row: check, expected, observed, result, where the
result is "ok", "FAIL", or "info" (context that explains a failure; never a verdict).
"""

import email
import email.policy
import re
from collections import Counter, defaultdict
from decimal import Decimal
from email.utils import getaddresses
from pathlib import Path

ENDED = ("cancelled", "expired")
NUMBER = re.compile(r"MG-[A-Z0-9]{8}")
RECOVERY_LIMIT_S = 5.0


def fmt(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def cop(value: int) -> str:
    return "$ " + f"{value:,}".replace(",", ".")


def verdict(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def read_mails(folder: Path) -> list[email.message.EmailMessage]:
    """Every message the file-based backend wrote (79 dashes separate messages in a file)."""
    found = []
    if not folder.exists():
        return found
    for path in sorted(folder.glob("*")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.lstrip(), policy=email.policy.default))
    return found


class Checks:
    def __init__(self, sql, data: dict, driver, faults: list[dict], mail_folder: Path):
        self.sql = sql  # sql(query, params) -> rows
        self.data = data
        self.driver = driver
        self.faults = faults
        self.mail_folder = mail_folder
        self.rows: list[tuple[str, str, str, str]] = []
        self.details: list[str] = []

    def row(self, check: str, expected: str, observed: str, result: str) -> None:
        self.rows.append((check, expected, observed, result))

    def run(self) -> list[tuple[str, str, str, str]]:
        self.orders = self.sql(
            "SELECT o.id, o.number, o.status, o.channel, o.payment_method, o.payment_status, "
            "o.organization_id, o.total_cop, o.paid_cop, u.email "
            "FROM orders_order o JOIN market_user u ON u.id = o.buyer_id ORDER BY o.id"
        )
        self.load_ran()
        self.stock()
        self.market_offers()
        self.slots()
        self.double_submits()
        self.shown_orders_exist()
        self.credit()
        self.notifications()
        self.whole_orders()
        self.recovery()
        self.http()
        return self.rows

    # --- the load itself ------------------------------------------------------------------

    def load_ran(self) -> None:
        by_kind = defaultdict(Counter)
        for entry in self.driver.checkouts:
            if entry.number:
                outcome = "order"
            elif entry.status in (301, 302, 303):
                outcome = "redirect, no order"  # the basket was empty by then
            else:
                outcome = f"HTTP {entry.status}" if entry.status else "no answer"
            by_kind[entry.kind][outcome] += 1
        kinds = ("catalogue", "market", "credit", "double-catalogue", "double-market")
        for kind in kinds:
            counts = by_kind.get(kind, Counter())
            observed = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no checkout"
            self.row(f"load: {kind} checkouts made orders", "> 0", observed, verdict(counts["order"] > 0))
        problems = self.driver.problems
        self.row(
            "load: every buyer played her part",
            "no harness problem",
            "; ".join(problems[:3]) + (f" (+{len(problems) - 3})" if len(problems) > 3 else "") or "none",
            verdict(not problems),
        )
        missing = [f for f in self.faults if not f["injected"]]
        self.row(
            "faults: all injected during the load",
            f"{len(self.faults)} of {len(self.faults)}",
            f"{len(self.faults) - len(missing)} of {len(self.faults)}"
            + (f" (not: {'; '.join(f['name'] + ': ' + f['detail'] for f in missing)})" if missing else ""),
            verdict(not missing),
        )
        for fault in self.faults:
            self.details.append(f"fault at {fault['at']:.1f} s, {fault['name']}: {fault['detail']}")

    # --- stock ----------------------------------------------------------------------------

    def _sold(self) -> dict:
        sold = defaultdict(Decimal)
        for product_id, channel, quantity in self.sql(
            "SELECT l.product_id, o.channel, SUM(l.quantity) FROM orders_orderline l "
            "JOIN orders_order o ON o.id = l.order_id "
            "WHERE o.status <> ALL(%s) AND l.stock_returned_at IS NULL GROUP BY 1, 2",
            [list(ENDED)],
        ):
            sold[(product_id, channel)] += quantity
        return sold

    def _market_stock(self) -> dict:
        rows = self.sql(
            "SELECT product_id, planned, confirmed, sold FROM cms_marketstock WHERE event_id = %s",
            [self.data["market"]["id"]],
        )
        return {pid: (planned, confirmed, sold) for pid, planned, confirmed, sold in rows}

    def stock(self) -> None:
        """Per tracked product: what there was = what is left + what was sold, in every channel.

        "What there was" is the harvest before the market was published. Should a market one
        day set its units aside from the product's stock when it is published, the units still
        set aside and unsold count as left.
        """
        sold = self._sold()
        market = self._market_stock()
        left_now = dict(self.sql("SELECT id, stock FROM catalog_product"))
        for product in self.data["products"]:
            if not product["tracked"]:
                continue
            pid = product["id"]
            harvest = Decimal(product["harvest"])
            set_aside = harvest - Decimal(product["stock_after_build"])
            held = Decimal("0")
            if set_aside > 0 and pid in market:
                planned, confirmed, market_sold = market[pid]
                capacity = planned if confirmed is None else min(planned, confirmed)
                held = max(capacity - market_sold, Decimal("0"))
            left = (left_now.get(pid) or Decimal("0")) + held
            catalogue, in_market = sold[(pid, "catalog")], sold[(pid, "market")]
            total = left + catalogue + in_market
            observed = (
                f"left {fmt(left)} + catalogue {fmt(catalogue)} + market {fmt(in_market)} = {fmt(total)}"
            )
            self.row(f"stock: {product['name']}", f"= {fmt(harvest)}", observed, verdict(total == harvest))

    def market_offers(self) -> None:
        sold = self._sold()
        market = self._market_stock()
        names = {p["id"]: p["name"] for p in self.data["products"]}
        for offer in self.data["market"]["offers"]:
            pid = offer["product"]
            quantity = Decimal(offer["quantity"])
            _planned, _confirmed, counter = market.get(pid, (None, None, Decimal("0")))
            lines = sold[(pid, "market")]
            ok = counter <= quantity and counter == lines
            self.row(
                f"market offer: {names[pid]}",
                f"sold = lines <= {fmt(quantity)}",
                f"sold {fmt(counter)}, lines {fmt(lines)}",
                verdict(ok),
            )

    def slots(self) -> None:
        rows = self.sql(
            "SELECT s.id, s.capacity, COALESCE(u.taken, 0) FROM cms_pickupslot s "
            "LEFT JOIN cms_slotusage u ON u.slot_id = s.id WHERE s.page_id = %s ORDER BY s.id",
            [self.data["market"]["id"]],
        )
        holding = dict(
            self.sql(
                "SELECT mo.slot_id, COUNT(*) FROM cms_marketorder mo "
                "JOIN orders_order o ON o.id = mo.order_id "
                "WHERE mo.event_id = %s AND mo.slot_id IS NOT NULL AND mo.slot_released_at IS NULL "
                "AND o.status <> ALL(%s) GROUP BY 1",
                [self.data["market"]["id"], list(ENDED)],
            )
        )
        for number, (slot_id, capacity, taken) in enumerate(rows, 1):
            orders = holding.get(slot_id, 0)
            self.row(
                f"pickup slot {number}",
                f"taken = orders <= {capacity}",
                f"taken {taken}, orders {orders}",
                verdict(taken <= capacity and taken == orders),
            )

    # --- orders per basket ------------------------------------------------------------------

    def double_submits(self) -> None:
        per_buyer = Counter(row[9] for row in self.orders)
        for group in self.driver.groups.values():
            posts = sorted(group.posts, key=lambda p: p.at)
            told = ", ".join(
                f"{'AB'[p.server]} "
                + ("order" if p.number else f"{p.status}" if p.status else p.error.split(":")[0])
                for p in posts
            )
            orders = per_buyer.get(group.buyer, 0)
            if not group.prepared or len(posts) != 3:
                self.row(
                    f"orders per basket: {group.name}",
                    "<= 1 (3 POSTs)",
                    f"not exercised: {group.note or f'{len(posts)} POSTs sent'}",
                    "FAIL",
                )
                continue
            self.row(
                f"orders per basket: {group.name} ({group.at:g} s)",
                "<= 1 (3 POSTs)",
                f"{orders} order{'' if orders == 1 else 's'}; answers {told}",
                verdict(orders <= 1),
            )

    def shown_orders_exist(self) -> None:
        numbers = {row[1]: row[9] for row in self.orders}
        shown = [(c.number, c.buyer) for c in self.driver.checkouts if c.number]
        wrong = [n for n, buyer in shown if numbers.get(n) != buyer]
        self.row(
            "every order a buyer was shown exists",
            f"{len(shown)} of {len(shown)}",
            f"{len(shown) - len(wrong)} of {len(shown)}"
            + (f" (missing {', '.join(wrong[:3])})" if wrong else ""),
            verdict(not wrong),
        )
        unseen = len(numbers) - len({n for n, _ in shown})
        self.row(
            "orders placed whose answer was lost",
            "-",
            f"{unseen} of {len(numbers)} orders (connection dropped, or a double submit's twin)",
            "info",
        )

    # --- credit -------------------------------------------------------------------------------

    def credit(self) -> None:
        org = self.data["organization"]
        used = sum(
            max(total - paid, 0)
            for _id, _n, status, _ch, method, pay_status, org_id, total, paid, _e in self.orders
            if org_id == org["id"] and method == "invoice" and pay_status == "unpaid" and status not in ENDED
        )
        count = sum(
            1 for row in self.orders if row[6] == org["id"] and row[4] == "invoice" and row[2] not in ENDED
        )
        self.row(
            f"credit used: {org['name']}",
            f"<= {cop(org['limit'])}",
            f"{cop(used)} in {count} invoice orders",
            verdict(used <= org["limit"]),
        )

    # --- notifications -------------------------------------------------------------------------

    def notifications(self) -> None:
        managers = {int(k): v for k, v in self.data["managers"].items()}
        due = {row[1]: row for row in self.orders if row[2] != "awaiting_payment"}
        parts = defaultdict(list)
        for order_id, cooperative_id in self.sql("SELECT order_id, cooperative_id FROM orders_fulfilment"):
            parts[order_id].append(cooperative_id)

        placed, new = Counter(), Counter()
        unknown = Counter()
        seen = set()
        for message in read_mails(self.mail_folder):
            # A message its worker sent, then died before recording, goes again under the same
            # Message-ID (SMTP cannot be asked): the person's mail client shows it once.
            message_id = str(message["Message-ID"] or "")
            if message_id and message_id in seen:
                continue
            seen.add(message_id)
            subject = " ".join(str(message["Subject"] or "").split())  # folded when not ASCII
            numbers = set(NUMBER.findall(subject))
            recipients = [address.lower() for _name, address in getaddresses([str(message["To"] or "")])]
            # orders/notifications.py: "We received your order %(number)s" to the buyer, "New order
            # %(number)s for %(name)s" to the cooperative's managers (Spanish unless she reads English).
            if "Recibimos su pedido" in subject or "We received your order" in subject:
                target = placed
            elif "Nuevo pedido" in subject or "New order" in subject:
                target = new
            else:
                continue
            for number in numbers:
                if number not in due:
                    unknown[number] += 1
                for address in recipients:
                    target[(number, address)] += 1

        expected_placed = {(number, row[9].lower()) for number, row in due.items()}
        expected_new = {
            (number, address.lower())
            for number, row in due.items()
            for cooperative_id in parts[row[0]]
            for address in managers.get(cooperative_id, [])
        }
        for label, expected, counted in (
            ("order-placed e-mail to the buyer", expected_placed, placed),
            ("new-order e-mail to each manager of each cooperative", expected_new, new),
        ):
            missing = sorted(key for key in expected if counted[key] == 0)
            twice = sorted(key for key in expected if counted[key] > 1)
            stray = sorted(key for key in counted if key not in expected)
            once = len(expected) - len(missing) - len(twice)
            observed = f"{once} once, {len(missing)} missing, {len(twice)} twice or more"
            if stray:
                observed += f", {len(stray)} to the wrong person"
            self.row(
                label, f"{len(expected)} × exactly 1", observed, verdict(not (missing or twice or stray))
            )
            for key in missing[:5]:
                self.details.append(f"{label}: missing for {key[0]} to {key[1]}")
            for key in twice[:5]:
                self.details.append(f"{label}: {counted[key]} times for {key[0]} to {key[1]}")
        self.row(
            "e-mails about orders that do not exist",
            "0",
            f"{sum(unknown.values())}" + (f" ({', '.join(sorted(unknown)[:3])})" if unknown else ""),
            verdict(not unknown),
        )

        # The outbox: every message the load wrote left (or, interrupted, went another way).
        states = dict(self.sql("SELECT state, COUNT(*) FROM market_message GROUP BY state"))
        stuck = sum(states.get(s, 0) for s in ("queued", "sending"))
        ((lost,),) = self.sql(
            "SELECT COUNT(*) FROM market_message m WHERE m.state = 'failed' "
            "AND NOT EXISTS (SELECT 1 FROM market_message f WHERE f.fallback_of_id = m.id "
            "AND f.state IN ('sent', 'delivered'))"
        )
        self.row(
            "outbox messages still queued or sending after the drain",
            "0",
            f"{stuck} ({', '.join(f'{k} {v}' for k, v in sorted(states.items()))})",
            verdict(stuck == 0),
        )
        label = "outbox messages failed with no channel that got through"
        self.row(label, "0", f"{lost}", verdict(lost == 0))

    # --- whole orders ---------------------------------------------------------------------------

    def whole_orders(self) -> None:
        (broken,) = self.sql(
            "SELECT COUNT(*) FROM orders_order o WHERE "
            "NOT EXISTS (SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id) "
            "OR NOT EXISTS (SELECT 1 FROM orders_fulfilment f WHERE f.order_id = o.id) "
            "OR EXISTS (SELECT 1 FROM orders_fulfilment f WHERE f.order_id = o.id "
            "  AND NOT EXISTS (SELECT 1 FROM orders_orderline l WHERE l.fulfilment_id = f.id)) "
            "OR EXISTS (SELECT 1 FROM orders_orderline l "
            "  LEFT JOIN orders_fulfilment f ON f.id = l.fulfilment_id "
            "  WHERE l.order_id = o.id AND (f.id IS NULL OR f.order_id <> o.id))"
        )[0]
        self.row(
            "orders without lines or fulfilment",
            "0",
            f"{broken} of {len(self.orders)} orders",
            verdict(broken == 0),
        )

    # --- the servers ------------------------------------------------------------------------------

    def recovery(self) -> None:
        for fault in self.faults:
            for server, seconds in sorted(fault.get("recovery", {}).items()):
                observed = f"{seconds:.2f} s" if seconds is not None else "no 200 within the probe's 15 s"
                if fault.get("respawn_s") is not None and server == fault.get("server"):
                    observed += f" (master forked a new worker after {fault['respawn_s']:.1f} s)"
                ok = seconds is not None and seconds <= RECOVERY_LIMIT_S
                self.row(
                    f"server {server} answered after {fault['name']}",
                    f"<= {RECOVERY_LIMIT_S:g} s",
                    observed,
                    verdict(ok),
                )

    def _near_fault(self, at: float) -> bool:
        return any(
            f["server_fault"] and f["at"] - 0.5 <= at <= f["at"] + RECOVERY_LIMIT_S for f in self.faults
        )

    def http(self) -> None:
        near, away, dropped = [], [], []
        for request in self.driver.requests:
            if request.status >= 500:
                (near if self._near_fault(request.at) else away).append(request)
            elif request.status == 0 and request.at >= 0:
                dropped.append(request)

        def examples(requests):
            counts = Counter(f"{r.what} {r.status or r.error.split(':')[0]}" for r in requests)
            return "; ".join(f"{k} ×{v}" for k, v in counts.most_common(3))

        self.row(
            "HTTP 5xx away from the faults",
            "0",
            f"{len(away)}"
            + (f": {examples(away)}" if away else "")
            + f" (of {len(self.driver.requests)} requests)",
            verdict(not away),
        )
        self.row(
            "HTTP 5xx within 5 s of a server fault",
            "-",
            f"{len(near)}" + (f": {examples(near)}" if near else ""),
            "info",
        )
        self.row(
            "requests without an answer (connection dropped)",
            "-",
            f"{len(dropped)}" + (f": {examples(dropped)}" if dropped else ""),
            "info",
        )


def table(rows) -> str:
    head = ("check", "expected", "observed", "result")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(4)]
    widths[2] = min(widths[2], 90)

    def line(cells):
        return "  ".join(
            str(c).ljust(w)[: max(w, len(str(c)))] for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)
