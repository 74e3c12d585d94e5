import pytest
from wagtail.models import Site

from cms.models import HomePage
from cooperatives.models import VerificationStatus
from tests.factories import CooperativeFactory, make_product


@pytest.mark.django_db
def test_home_is_the_wagtail_home_page_in_spanish(client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()


@pytest.mark.django_db
def test_home_shows_verified_cooperatives_and_their_products_only(client):
    verified = CooperativeFactory(name="ASOYUPGUZ")
    pending = CooperativeFactory(
        name="Cooperativa Sin Revisar", verification_status=VerificationStatus.PENDING
    )
    make_product(verified, name="Yuca fresca")
    make_product(pending, name="Producto Oculto")
    html = client.get("/").content.decode()
    assert "ASOYUPGUZ" in html
    assert "Yuca fresca" in html
    assert "Cooperativa Sin Revisar" not in html
    assert "Producto Oculto" not in html
