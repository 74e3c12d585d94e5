"""Whatever is typed into the catalogue's search, the page answers: control characters
(a NUL that PostgreSQL refuses, escapes pasted from elsewhere) are ignored, never a 500."""

import pytest
from django.urls import reverse

from market.text import search_words
from tests.factories import make_product


def test_search_words_drop_control_characters_and_fold():
    assert search_words("Yuca\x00 fre\x1bsca  CAFÉ\t") == ["yuca", "fre", "sca", "cafe"]
    assert search_words("\x00") == []
    assert len(search_words("a b c d e f g h i j")) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["%00", "yuca%00", "%00%00%01", "yu%00ca", "%E2%80%8Byuca"])
def test_a_nul_or_control_character_in_the_search_is_ignored(client, cooperative, query):
    make_product(cooperative, name="Yuca fresca")
    response = client.get(reverse("catalog:list") + "?q=" + query)
    assert response.status_code == 200
    if "yuca" in query and "yu%00ca" not in query:
        assert "<mark>Yuca</mark> fresca" in response.content.decode()
