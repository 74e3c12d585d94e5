"""Fixtures for orders tests: two cooperatives that sell to the same buyer."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from catalog.models import Category, Product
from cooperatives.models import Cooperative, MembershipRole
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, make_product


@pytest.fixture(autouse=True)
def _language_does_not_leak():
    """A request to an `/en/` URL leaves English active in the thread; later tests expect none."""
    yield
    translation.deactivate()


@dataclass
class Seller:
    """One cooperative with a manager, a plain member and one product in stock."""

    cooperative: Cooperative
    manager: object
    member: object
    product: Product

    def client(self, *, as_member: bool = False) -> Client:
        client = Client()
        client.force_login(self.member if as_member else self.manager)
        return client


def _seller(cooperative_name: str, slug: str, **product) -> Seller:
    cooperative = CooperativeFactory(
        name=cooperative_name,
        slug=slug,
        pickup_address=f"Bodega de {cooperative_name}, vereda El Retiro",
        offers_delivery=True,
        delivery_fee_cop=5000,
    )
    return Seller(
        cooperative=cooperative,
        manager=MembershipFactory(cooperative=cooperative, role=MembershipRole.MANAGER).user,
        member=MembershipFactory(cooperative=cooperative, role=MembershipRole.MEMBER).user,
        product=make_product(cooperative, **product),
    )


@pytest.fixture
def seller_a(db) -> Seller:
    """Sells cassava by the kilo (variable weight), 2.345 pesos a kilo, 100 kg in stock."""
    return _seller(
        "Asociación Yuqueros del Sinú",
        "yuqueros",
        name="Yuca fresca",
        price_cop=2345,
        stock=Decimal("100"),
        min_quantity=Decimal("1"),
        quantity_step=Decimal("0.5"),
    )


@pytest.fixture
def seller_b(db) -> Seller:
    """Sells honey by the litre, 30.000 pesos a litre, 20 litres in stock."""
    return _seller(
        "Cooperativa Apícola La Montaña",
        "apicola",
        name="Miel de abejas",
        category=Category.objects.get(slug="miel"),
        unit="litro",
        price_cop=30000,
        stock=Decimal("20"),
        min_quantity=Decimal("1"),
        quantity_step=Decimal("1"),
    )


@pytest.fixture
def household(db):
    return UserFactory(first_name="Rosa", last_name="Pérez", email="rosa@example.org")
