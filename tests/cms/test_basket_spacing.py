"""Basket lines do not sit tight against each other on a phone: the storefront's basket and
the checkout's summary list their lines as `ul.lines`, which the stylesheet spaces and rules."""

import re

from tests.cms.factories import make_market
from tests.cms.test_storefront_budget import CSS
from tests.factories import UserFactory, make_product


def _rule(selector: str) -> str:
    css = CSS.read_text()
    found = re.search(re.escape(selector) + r"\{([^}]*)\}", css)
    assert found, f"no rule for {selector}"
    return found.group(1)


def test_the_stylesheet_spaces_and_separates_basket_lines():
    rule = _rule(".lines>li")
    padding = re.search(r"padding:([\d.]+)rem", rule)
    assert padding and float(padding.group(1)) >= 0.5, rule
    assert "border-bottom" in rule


def test_storefront_basket_and_checkout_summary_use_the_spaced_list(client, db):
    yuca = make_product(name="Yuca fresca", stock=None)
    event = make_market(offers=[(yuca, 2000, 20)])
    client.force_login(UserFactory())
    client.post(f"/cesta/mercado/{event.pk}/", {"product": yuca.pk, "quantity": "2", "action": "add"})
    storefront = client.get(event.url).content.decode()
    assert '<ul class="plain lines"><li id="cesta-' in storefront
    checkout = client.get(event.url + "pedido/").content.decode()
    assert '<ul class="plain lines"><li>Yuca fresca: 2 kilos' in checkout
