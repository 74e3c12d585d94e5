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


@pytest.mark.django_db
def test_featured_cooperatives_come_first_in_both_languages(client):
    from wagtail.models import Locale

    names = ["Asociación A", "Asociación B", "Cooperativa C", "Cooperativa D", "Cooperativa E"]
    cooperatives = {name: CooperativeFactory(name=name) for name in names}
    featured = CooperativeFactory(name="Zona Verde del Guaviare")  # last by name
    pending = CooperativeFactory(name="Aún Sin Verificar", verification_status=VerificationStatus.PENDING)
    home = HomePage.objects.get()
    home.featured_cooperatives = [featured, pending]
    home.save_revision().publish()

    def order_on(html):
        shown = [name for name in [*names, featured.name, pending.name] if name in html]
        return sorted(shown, key=html.index)

    spanish = client.get("/").content.decode()
    assert order_on(spanish)[0] == "Zona Verde del Guaviare"
    assert pending.name not in spanish, "a cooperative waiting for verification is never shown"
    assert order_on(spanish)[1:] == sorted(cooperatives)

    english_home = home.copy_for_translation(Locale.objects.get(language_code="en"))
    HomePage.objects.get(pk=english_home.pk).save_revision().publish()
    english = client.get("/en/").content.decode()
    assert order_on(english)[0] == "Zona Verde del Guaviare", "the translation shows the original's choice"
