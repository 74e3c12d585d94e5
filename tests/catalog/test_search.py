"""The catalogue's search, as a buyer sees it, on whichever database runs the suite (SQLite,
and PostgreSQL in CI's second pass): ranked by where the words are, accents ignored, one
typo forgiven, matched words highlighted and escaped."""

import re

import pytest
from django.urls import reverse

from catalog import search
from catalog.selectors import product_search
from cooperatives.models import VerificationStatus
from market.text import highlight
from tests.factories import CooperativeFactory, UserFactory, make_product
from tests.helpers import snippet_post

pytestmark = pytest.mark.django_db


def names(**filters) -> list[str]:
    results = product_search(**filters)
    return [p.name for p in results[0 : len(results)]]


def test_a_word_in_the_name_ranks_before_the_description_and_the_cooperative(asoyupguz):
    found = names(text="yuca")
    assert found[0] == "Yuca fresca"
    assert found[1] == "Almidón agrio"  # "yuca" in its description
    assert set(found[2:]) == {"Huevos criollos", "Plátano hartón"}  # only the cooperative says it


def test_accents_are_ignored_both_ways(cooperative):
    make_product(cooperative, name="Café especial de Anorí")
    make_product(cooperative, name="Panela pulverizada")
    assert names(text="cafe") == ["Café especial de Anorí"]
    assert names(text="CAFÉ anori") == ["Café especial de Anorí"]
    assert names(text="anorí") == ["Café especial de Anorí"]


def test_the_start_of_a_word_is_enough_when_no_whole_word_matches(cooperative):
    make_product(cooperative, name="Café especial")
    make_product(cooperative, name="Panela")
    make_product(cooperative, name="Huevos criollos")
    make_product(cooperative, name="Huevo de pato")
    assert names(text="caf") == ["Café especial"]
    assert names(text="huevo") == ["Huevo de pato"]
    assert names(text="huev") == ["Huevo de pato", "Huevos criollos"]


def test_one_typo_is_forgiven(asoyupguz):
    results = product_search(text="yuka")
    assert results[0:1][0].name == "Yuca fresca"
    assert results.corrected == "yuca"
    assert "yuca" in results.terms


@pytest.mark.parametrize("typo", ["yuca fersca", "yuca frsca", "yuca fresxa", "yuca frescaa"])
def test_a_swapped_missing_changed_or_extra_letter_is_forgiven(asoyupguz, typo):
    assert names(text=typo) == ["Yuca fresca"]


def test_two_typos_in_one_word_find_nothing_rather_than_anything(asoyupguz):
    assert names(text="yyka") == []
    assert names(text="zzzzqq") == []


def test_every_word_must_match(cooperative):
    make_product(cooperative, name="Yuca fresca")
    make_product(cooperative, name="Yuca cocida")
    assert names(text="yuca fresca") == ["Yuca fresca"]


def test_hidden_products_and_unverified_cooperatives_are_never_found(cooperative):
    make_product(cooperative, name="Miel de abejas", is_hidden=True)
    pending = CooperativeFactory(verification_status=VerificationStatus.PENDING)
    make_product(pending, name="Miel de monte")
    assert names(text="miel") == []
    assert names(text="mile") == []


def test_a_renamed_product_is_found_by_its_new_name_only(cooperative):
    from catalog.services import product_save

    product = make_product(cooperative, name="Yuca fresca")
    product.name = "Ñame espino"
    product_save(product=product)
    assert names(text="name") == ["Ñame espino"]
    assert names(text="yuca") == []


def _admin_post(client, instance, **changes):
    response = snippet_post(client, instance, **changes)
    assert response.status_code == 302, response.context["form"].errors


def test_a_renamed_cooperative_is_found_by_its_new_name_only(client, asoyupguz):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    _admin_post(client, asoyupguz, name="Cabildo Nasa del Putumayo", known_for="chontaduro")
    assert set(names(text="nasa chontaduro")) == {
        "Huevos criollos",
        "Plátano hartón",
        "Almidón agrio",
        "Yuca fresca",
    }
    assert names(text="yuqueros") == [] and names(text="guzman") == []
    assert names(text="yuca") == ["Yuca fresca", "Almidón agrio"]  # its name, its description


def test_a_renamed_category_is_found_by_its_new_name_only(client, cooperative):
    from catalog.models import Category

    yuca = Category.objects.get(slug="yuca")
    make_product(cooperative, name="Casabe", category=yuca)
    make_product(cooperative, name="Miel", category=Category.objects.get(slug="miel"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    _admin_post(client, yuca, name="Mandioca")
    assert names(text="mandioca") == ["Casabe"]
    assert names(text="miel") == ["Miel"] and names(text="yuca") == []


def test_the_products_of_a_renamed_cooperative_are_refreshed_in_one_statement(asoyupguz):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.services import search_text_refresh

    asoyupguz.name = "Cabildo Nasa"
    asoyupguz.save()
    with CaptureQueriesContext(connection) as queries:
        assert search_text_refresh(cooperative=asoyupguz) == 4
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and '"catalog_product"' in updates[0]
    assert len(names(text="cabildo nasa")) == 4
    with CaptureQueriesContext(connection) as queries:
        assert search_text_refresh(cooperative=asoyupguz) == 0  # saved again unchanged: no write
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_a_deleted_product_leaves_the_index(cooperative):
    product = make_product(cooperative, name="Yuca fresca")
    product.delete()
    assert names(text="yuca") == []


def test_filters_apply_to_the_search(cooperative):
    other = CooperativeFactory()
    make_product(cooperative, name="Miel de abejas")
    make_product(other, name="Miel de caña")
    assert names(text="miel", cooperative=other) == ["Miel de caña"]


def test_many_matches_are_capped_and_said(cooperative, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    for n in range(5):
        make_product(cooperative, name=f"Miel {n}")
    results = product_search(text="miel")
    assert len(results) == 3 and results.capped
    assert len(product_search(text="miel 1")) == 1 and not product_search(text="miel 1").capped


def test_punctuation_and_query_syntax_are_plain_words(cooperative):
    make_product(cooperative, name="Yuca fresca")
    for text in ['yuca" OR "x', "yuca' | !x", "{name}: yuca", "yuca & (", "yuca:*A", "NEAR(yuca)", "-yuca*"]:
        assert names(text=text) in (["Yuca fresca"], []), text


def test_the_catalogue_page_highlights_what_matched(client, asoyupguz):
    html = client.get(reverse("catalog:list") + "?q=yuka").content.decode()
    assert "<mark>Yuca</mark> fresca" in html
    assert "Resultados para “yuca”." in html
    assert html.index("<mark>Yuca</mark> fresca") < html.index("Huevos criollos")


def test_no_markup_from_the_search_or_the_product_reaches_the_page(client, cooperative):
    make_product(cooperative, name="<script>alert(1)</script> Miel")
    html = client.get(reverse("catalog:list"), {"q": "miel"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Miel</mark>" in html


def test_markup_typed_into_the_search_comes_back_as_text(client, cooperative):
    make_product(cooperative, name="Miel")
    html = client.get(reverse("catalog:list"), {"q": '"><img src=x onerror=alert(2)>'}).content.decode()
    assert "<img src=x" not in html and "&quot;&gt;&lt;img src=x" in html


def test_highlight_escapes_everything_and_marks_whole_words():
    assert highlight("Café <b>de</b> Anorí", ["cafe", "anori"]) == (
        "<mark>Café</mark> &lt;b&gt;de&lt;/b&gt; <mark>Anorí</mark>"
    )
    assert highlight("Cafetal", ["caf*"]) == "<mark>Cafetal</mark>"
    assert highlight("Cafetal", ["caf"]) == "Cafetal"
    assert highlight("a & b", []) == "a &amp; b"


def test_the_listing_count_is_capped(client, cooperative, monkeypatch):
    from catalog import selectors

    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 2)
    for n in range(3):
        make_product(cooperative, name=f"Miel {n}")
    html = client.get(reverse("catalog:list")).content.decode()
    assert "Más de 2 productos: agregue una palabra o un filtro" in html


def test_the_listing_count_reads_no_more_rows_than_its_cap(cooperative):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.selectors import LIST_COUNT_CAP

    make_product(cooperative, name="Miel")
    with CaptureQueriesContext(connection) as queries:
        assert len(product_search()) == 1
    assert f"LIMIT {LIST_COUNT_CAP + 1}" in queries.captured_queries[0]["sql"]


def test_a_search_page_runs_the_same_queries_at_any_size(client, cooperative, django_assert_max_num_queries):
    make_product(cooperative, name="Yuca fresca")
    url = reverse("catalog:list") + "?q=yuka"
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for n in range(30):
        make_product(cooperative, name=f"Yuca {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_query_words_split_where_the_indexes_split():
    assert search.query_words("Yuca-fresca  CAFÉ_x 'or'") == ["yuca", "fresca", "cafe", "x", "or"]
    assert all(re.fullmatch(r"[^\W_]+", w) for w in search.query_words("a\"b'c:d*e{f}g(h)"))


def test_a_words_variants_are_one_edit_away():
    assert {"yuca", "fresca"} <= search.edits("yuka") | search.edits("fersca")  # changed, swapped
    assert {"fresca"} <= search.edits("frsca") & search.edits("frescaa")  # missing, extra
    assert "yuca" not in search.edits("yyka")  # two edits
