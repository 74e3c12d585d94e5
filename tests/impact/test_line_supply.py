"""Which families supplied each line: the cooperative records it on the order's page."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cooperatives.models import MembershipRole
from orders import services, supply, transitions
from orders.exceptions import SupplyError
from orders.models import LineSupply
from tests.factories import CooperativeFactory, MembershipFactory, ProducerFactory, UserFactory, make_product
from tests.helpers import message_texts
from tests.orders.factories import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    cooperative = CooperativeFactory(slug="yuqueros")
    manager = MembershipFactory(cooperative=cooperative, role=MembershipRole.MANAGER).user
    ana = ProducerFactory(cooperative=cooperative, name="Ana", gender="female", consents_to_aggregate=True)
    luz = ProducerFactory(cooperative=cooperative, name="Luz", gender="female", consents_to_aggregate=True)
    yuca = make_product(cooperative, name="Yuca", price_cop=2000, stock=Decimal("100"))
    yuca.producers.set([ana])
    cacao = make_product(cooperative, name="Cacao", price_cop=10000, stock=Decimal("100"))
    cacao.producers.set([ana, luz])
    order = place_order(UserFactory(), [(yuca, 10), (cacao, 3)])
    fulfilment = order.fulfilments.get()
    transitions.fulfilment_transition(fulfilment=fulfilment, to="confirmed", actor=manager)
    client = Client()
    client.force_login(manager)
    lines = {line.product_name: line for line in fulfilment.lines.all()}
    return {
        "cooperative": cooperative,
        "manager": manager,
        "ana": ana,
        "luz": luz,
        "fulfilment": fulfilment,
        "yuca": lines["Yuca"],
        "cacao": lines["Cacao"],
        "client": client,
    }


def _url(shop, line):
    return reverse(
        "orders:fulfilment_line_supply", args=[shop["cooperative"].slug, shop["fulfilment"].pk, line.pk]
    )


def test_the_page_offers_the_products_only_family_by_default(shop):
    page = shop["client"].get(
        reverse("orders:fulfilment_detail", args=[shop["cooperative"].slug, shop["fulfilment"].pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        f'name="family-{shop["ana"].pk}" inputmode="decimal" size="5" autocomplete="off" value="10"' in html
    )
    assert "Repartir por igual entre sus 2 familias" in html


def test_manager_records_a_split_and_the_value_follows_delivered_weight(shop):
    response = shop["client"].post(
        _url(shop, shop["cacao"]), {f"family-{shop['ana'].pk}": "2", f"family-{shop['luz'].pk}": "1"}
    )
    assert response.status_code == 302
    assert dict(LineSupply.objects.filter(line=shop["cacao"]).values_list("producer__name", "quantity")) == {
        "Ana": Decimal("2.000"),
        "Luz": Decimal("1.000"),
    }
    # 3 kg ordered at $ 10.000, 2,4 kg delivered: $ 24.000, shared 2:1 between the families.
    services.line_record_delivery(line=shop["cacao"], delivered_quantity="2.4", actor=shop["manager"])
    shop["cacao"].refresh_from_db()
    assert shop["cacao"].total_cop == 24000
    assert supply.value_shares(shop["cacao"].total_cop, [Decimal("2"), Decimal("1")]) == [16000, 8000]


def test_one_tap_splits_evenly_among_the_products_families(shop):
    shop["client"].post(_url(shop, shop["cacao"]), {"split": "even"})
    assert sorted(LineSupply.objects.filter(line=shop["cacao"]).values_list("quantity", flat=True)) == [
        Decimal("1.500"),
        Decimal("1.500"),
    ]


def test_quantities_that_do_not_add_up_are_refused_and_nothing_is_written(shop):
    response = shop["client"].post(_url(shop, shop["cacao"]), {f"family-{shop['ana'].pk}": "2"}, follow=True)
    assert "suman 2; la línea tiene 3" in " ".join(message_texts(response))
    assert not LineSupply.objects.exists()


def test_a_family_of_another_cooperative_is_refused(shop):
    stranger = ProducerFactory(name="Otra")
    response = shop["client"].post(
        _url(shop, shop["cacao"]),
        {f"family-{shop['ana'].pk}": "2", f"family-{stranger.pk}": "1"},
        follow=True,
    )
    assert "Elija familias de su propia cooperativa." in message_texts(response)
    assert not LineSupply.objects.exists()


def test_posting_the_same_form_twice_leaves_one_record(shop):
    data = {f"family-{shop['ana'].pk}": "10"}
    shop["client"].post(_url(shop, shop["yuca"]), data)
    shop["client"].post(_url(shop, shop["yuca"]), data)
    assert list(LineSupply.objects.values_list("producer_id", "quantity")) == [
        (shop["ana"].pk, Decimal("10.000"))
    ]


def test_a_line_of_another_cooperative_is_404_and_a_member_cannot_record(shop):
    other = CooperativeFactory()
    other_manager = MembershipFactory(cooperative=other, role=MembershipRole.MANAGER).user
    client = Client()
    client.force_login(other_manager)
    url = reverse("orders:fulfilment_line_supply", args=[other.slug, shop["fulfilment"].pk, shop["yuca"].pk])
    assert client.post(url, {f"family-{shop['ana'].pk}": "10"}).status_code == 404
    member = MembershipFactory(cooperative=shop["cooperative"], role=MembershipRole.MEMBER).user
    client.force_login(member)
    assert client.post(_url(shop, shop["yuca"]), {f"family-{shop['ana'].pk}": "10"}).status_code == 404
    assert not LineSupply.objects.exists()


def test_a_rejected_line_takes_no_record(shop):
    services.line_reject(line=shop["yuca"], actor=shop["manager"])
    with pytest.raises(SupplyError):
        supply.line_supply_record(line=shop["yuca"], shares={shop["ana"].pk: "10"})
    assert not LineSupply.objects.exists()


def test_value_shares_add_up_to_the_peso():
    assert supply.value_shares(10000, [Decimal("1"), Decimal("1"), Decimal("1")]) == [3334, 3333, 3333]
    assert supply.even_split(Decimal("1"), 3) == [Decimal("0.334"), Decimal("0.333"), Decimal("0.333")]
