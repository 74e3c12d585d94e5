"""The catalogue's filters are on every catalogue page and every search, and list every
verified cooperative (500 in the `search-100k` bench): their selects are written in one
pass (`market.forms.CompactSelect`), never through Django's template per option, which cost
a search page half of its CPU, and the cooperatives are read as rows, not models."""

import pytest
from django.db.models.signals import pre_init
from django.urls import reverse

from cooperatives.models import Cooperative
from tests.factories import CooperativeFactory, make_product

pytestmark = pytest.mark.django_db


def test_the_filters_are_written_without_a_template_per_option(client, cooperative):
    make_product(cooperative, name="Miel de abejas")
    CooperativeFactory.create_batch(30)
    response = client.get(reverse("catalog:list"), {"q": "miel"})
    used = {t.name for t in response.templates}
    assert not {name for name in used if name and name.startswith("django/forms/widgets/")}, used
    html = response.content.decode()
    assert html.count('<option value="') >= 31 + 1  # every verified cooperative, and "all"
    assert f'<option value="{cooperative.slug}">{cooperative.name}</option>' in html


def test_a_chosen_cooperative_stays_chosen_and_filters(client, cooperative):
    other = CooperativeFactory(name="Cabildo <b>Nasa</b>")
    make_product(cooperative, name="Miel de abejas")
    make_product(other, name="Miel de caña")
    html = client.get(reverse("catalog:list"), {"q": "miel", "cooperative": other.slug}).content.decode()
    assert f'<option value="{other.slug}" selected>Cabildo &lt;b&gt;Nasa&lt;/b&gt;</option>' in html
    assert "</mark> de caña" in html and "de abejas" not in html  # the name, its word marked


def test_the_cooperatives_listed_are_not_made_into_models(client, cooperative):
    CooperativeFactory.create_batch(20)
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    pre_init.connect(count, sender=Cooperative)
    try:
        client.get(reverse("catalog:list"), {"q": "miel"})
    finally:
        pre_init.disconnect(count, sender=Cooperative)
    assert len(made) <= 1, len(made)
