"""Search engines find the public pages, products and cooperatives in both languages, and
nothing private."""

import pytest
from wagtail.models import Locale

from cms.models import HomePage
from cooperatives.models import VerificationStatus
from tests.cms.factories import make_market
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


def test_the_sitemap_lists_public_pages_products_and_cooperatives(client):
    verified = CooperativeFactory(name="Frutos del Guaviare", slug="frutos-del-guaviare")
    pending = CooperativeFactory(slug="sin-verificar", verification_status=VerificationStatus.PENDING)
    araza = make_product(verified, name="Arazá", slug="araza")
    hidden = make_product(verified, name="Oculto", slug="oculto", is_hidden=True)
    make_product(pending, name="Pendiente", slug="pendiente")
    event = make_market(offers=[(araza, 5000, 10)])
    draft = make_market(title="Mercado en borrador")
    type(draft).objects.filter(pk=draft.pk).update(live=False)
    home = HomePage.objects.get()
    english = home.copy_for_translation(Locale.objects.get(language_code="en"))
    HomePage.objects.get(pk=english.pk).save_revision().publish()

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    xml = response.content.decode()
    assert f"http://testserver{event.url}</loc>" in xml
    assert "http://testserver/en/</loc>" in xml
    assert draft.slug not in xml
    assert "<loc>http://testserver/catalogo/frutos-del-guaviare/araza/</loc>" in xml
    assert 'hreflang="en" href="http://testserver/en/catalogo/frutos-del-guaviare/araza/"' in xml
    assert "<loc>http://testserver/cooperativas/frutos-del-guaviare/</loc>" in xml
    assert hidden.slug not in xml and "sin-verificar" not in xml and "pendiente" not in xml


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_private_areas(client):
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in body
    assert "Disallow: /espacio/" in body and "Disallow: /cms/" in body
