"""HTML is compressed by the application under production settings (the test settings run
with DJANGO_DEBUG off and market/settings.py's middleware), with Django's BREACH
mitigation; photos are not compressed again; the site has a favicon."""

import gzip

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import make_photo, make_product

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.mark.django_db
def test_the_catalogue_is_sent_gzipped_with_random_padding(client):
    lengths = set()
    for _ in range(8):
        response = client.get(reverse("catalog:list"), secure=True, **GZIP)
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response["Vary"]
        body = response.content
        assert int(response["Content-Length"]) == len(body)
        # Django's "Heal The Breach": the gzip header carries a file name of 0-99 random bytes.
        assert body[3] & gzip.FNAME
        name_length = body[10:].index(b"\x00")
        assert set(body[10 : 10 + name_length]) <= {ord("a")}
        lengths.add(name_length)
        html = gzip.decompress(body).decode()
        assert "<html" in html and "</html>" in html
    assert len(lengths) > 1, "the padding must vary from one response to the next"


@pytest.mark.django_db
def test_a_client_that_does_not_ask_for_gzip_gets_plain_html(client):
    response = client.get(reverse("catalog:list"), secure=True)
    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")
    assert "<html" in response.content.decode()
    assert "Accept-Encoding" in response["Vary"]


def test_a_photo_is_not_compressed_again(client, cooperative):
    photo = make_photo(make_product(cooperative))
    response = client.get(photo.image.get_rendition("fill-120x120").url, **GZIP)
    assert response.status_code == 200 and response["Content-Type"].startswith("image/")
    assert not response.has_header("Content-Encoding")


@pytest.mark.django_db
def test_every_page_links_the_favicon_and_favicon_ico_leads_to_it(client):
    page = client.get(reverse("catalog:list"), secure=True).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/favicon.ico", secure=True)
    assert response.status_code == 302 and response["Location"] == "/static/favicon.svg"
    assert response["Cache-Control"] == "public, max-age=86400"
    icon = finders.find("favicon.svg")
    assert icon is not None
    with open(icon, "rb") as svg:
        content = svg.read()
    assert content.startswith(b"<svg") and len(content) < 1024
