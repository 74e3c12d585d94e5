"""The product chooser of a market's offers: only available products of the market's
participating, verified cooperatives, with search; a forged product is refused anyway."""

import pytest
from django.urls import reverse

from cms.markets.product_chooser import MarketProductChooser
from cooperatives.models import VerificationStatus
from tests.cms.factories import make_builder, make_market
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db

CHOOSE = "market_products:choose"
RESULTS = "market_products:choose_results"


@pytest.fixture
def scene():
    builder = make_builder()
    frutos = CooperativeFactory(name="Frutos del Guaviare")
    outsider = CooperativeFactory(name="Cooperativa ajena")
    pending = CooperativeFactory(name="Cooperativa nueva", verification_status=VerificationStatus.PENDING)
    araza = make_product(frutos, name="Pulpa de arazá")
    copoazu = make_product(frutos, name="Pulpa de copoazú")
    hidden = make_product(frutos, name="Casabe escondido", is_hidden=True)
    foreign = make_product(outsider, name="Cachama")
    queso = make_product(pending, name="Queso campesino")
    market = make_market(
        offers=[(araza, 5000, 10)], cooperatives=[frutos, pending], owner=builder, publish=False
    )
    return {
        "builder": builder,
        "market": market,
        "araza": araza,
        "copoazu": copoazu,
        "hidden": hidden,
        "foreign": foreign,
        "queso": queso,
    }


def _listed(response) -> str:
    assert response.status_code == 200
    if response["Content-Type"].startswith("application/json"):
        return response.json()["html"]
    return response.content.decode()


def test_the_chooser_lists_only_the_markets_verified_cooperatives_products(client, scene):
    client.force_login(scene["builder"])
    html = _listed(client.get(reverse(CHOOSE), {"market": scene["market"].pk}))
    assert "Pulpa de arazá" in html and "Pulpa de copoaz" in html
    for name in ("Cachama", "Queso campesino", "Casabe escondido"):
        assert name not in html


def test_the_chooser_searches_by_name_without_accents(client, scene):
    client.force_login(scene["builder"])
    html = _listed(client.get(reverse(RESULTS), {"market": scene["market"].pk, "q": "copoazu"}))
    assert "Pulpa de copoaz" in html and "Pulpa de arazá" not in html


def test_another_builders_market_in_the_chooser_is_404(client, scene):
    client.force_login(make_builder())
    assert client.get(reverse(CHOOSE), {"market": scene["market"].pk}).status_code == 404
    assert client.get(reverse(CHOOSE), {"market": "x"}).status_code == 404


def test_the_editor_opens_the_chooser_for_this_market(client, scene):
    client.force_login(scene["builder"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=[scene["market"].pk]))
    form = response.context["form"]
    widget = form.formsets["offers"].forms[0].fields["product"].widget
    assert isinstance(widget, MarketProductChooser) and widget.market_id == scene["market"].pk
    assert form.formsets["offers"].empty_form.fields["product"].widget.market_id == scene["market"].pk
    html = response.content.decode()
    assert f"?market={scene['market'].pk}" in html
    # "En revisión" is not offered as a participant.
    assert "Cooperativa nueva" not in html
