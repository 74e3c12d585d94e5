"""Photos on the local disk are served with DJANGO_DEBUG off (tests run that way), and only
photos: a transfer proof under the same MEDIA_ROOT is never public."""

from pathlib import Path

from django.conf import settings

from tests.factories import make_photo, make_product


def test_a_photo_and_its_rendition_are_served_in_production(client, cooperative):
    photo = make_photo(make_product(cooperative))
    image = photo.image
    original = client.get(image.file.url)
    assert original.status_code == 200
    assert original["Cache-Control"].startswith("public, max-age=")
    assert original["X-Content-Type-Options"] == "nosniff"
    rendition = image.get_rendition("fill-120x120")
    response = client.get(rendition.url)
    assert response.status_code == 200 and response["Content-Type"].startswith("image/")


def test_a_transfer_proof_on_the_same_disk_is_not_public(client, db):
    proof = Path(settings.MEDIA_ROOT) / "payment-proofs" / "2026" / "12" / "comprobante.pdf"
    proof.parent.mkdir(parents=True, exist_ok=True)
    proof.write_bytes(b"%PDF-1.4 a bank transfer")
    media = settings.MEDIA_URL
    assert client.get(f"{media}payment-proofs/2026/12/comprobante.pdf").status_code == 404
    assert client.get(f"{media}images/../payment-proofs/2026/12/comprobante.pdf").status_code == 404
    assert client.get(f"{media}images/%2e%2e/payment-proofs/2026/12/comprobante.pdf").status_code == 404
    assert client.get(f"{media}images/nothing-here.jpg").status_code == 404
