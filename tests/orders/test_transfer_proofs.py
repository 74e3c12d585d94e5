"""Bank transfer: account and reference for the buyer, proof uploads that store only a clean
image or a real PDF, and proof files that only the order's people can open."""

from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from orders.models import PaymentProof
from tests.factories import CooperativeFactory, MembershipFactory, UserFactory, image_bytes, make_product
from tests.orders.factories import pay_every_part, place_order

REAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" + b"% comprobante\n" * 20 + b"%%EOF\n"


def jpeg_with_gps() -> bytes:
    """A phone photo of the bank receipt, with camera and GPS data that must not be stored."""
    exif = PILImage.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS 80D"
    exif[0x8825] = {1: "N", 2: (7.0, 4.0, 30.0), 3: "W", 4: (75.0, 8.0, 45.0)}
    buffer = BytesIO()
    PILImage.new("RGB", (120, 80), (240, 240, 240)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def transfer_order(db):
    buyer = UserFactory()
    coop = CooperativeFactory()
    order = place_order(buyer, [(make_product(coop, name="Panela"), "2")], payment_method="transfer")
    return {"buyer": buyer, "coop": coop, "order": order}


def _stored_files(settings) -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "payment-proofs"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _upload(client, order, name, content, content_type="application/octet-stream"):
    return client.post(
        reverse("orders:transfer_proof", args=[order.number]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_order_page_shows_bank_account_reference_and_upload_link(client, transfer_order, settings):
    order = transfer_order["order"]
    assert order.transfer_reference
    client.force_login(transfer_order["buyer"])
    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert settings.MINGA_BANK_ACCOUNT in html
    assert order.transfer_reference in html
    assert reverse("orders:transfer", args=[order.number]) in html
    page = client.get(reverse("orders:transfer", args=[order.number])).content.decode()
    assert settings.MINGA_BANK_ACCOUNT in page and order.transfer_reference in page
    assert 'enctype="multipart/form-data"' in page


def test_cash_order_page_has_no_transfer_block(client, db, settings):
    buyer = UserFactory()
    order = place_order(buyer, [(make_product(CooperativeFactory()), "2")])
    client.force_login(buyer)
    html = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert settings.MINGA_BANK_ACCOUNT not in html
    assert client.get(reverse("orders:transfer", args=[order.number])).status_code == 404
    assert _upload(client, order, "c.pdf", REAL_PDF).status_code == 404
    assert not PaymentProof.objects.exists()


def test_good_jpeg_is_stored_without_its_metadata_under_a_random_name(client, transfer_order, settings):
    order = transfer_order["order"]
    client.force_login(transfer_order["buyer"])
    response = _upload(client, order, "foto recibo.jpg", jpeg_with_gps(), "image/jpeg")
    assert response.status_code == 302
    proof = PaymentProof.objects.get()
    assert proof.order == order and proof.uploaded_by == transfer_order["buyer"]
    name = proof.file.name
    assert name.startswith("payment-proofs/") and name.endswith(".jpg")
    assert order.number not in name and "recibo" not in name and len(Path(name).stem) >= 20
    stored = proof.file.open("rb").read()
    assert stored.startswith(b"\xff\xd8")
    for secret in (b"Canon", b"EOS 80D", b"Exif"):
        assert secret not in stored
    PILImage.open(BytesIO(stored)).verify()


def test_good_pdf_is_stored(client, transfer_order):
    client.force_login(transfer_order["buyer"])
    response = _upload(client, transfer_order["order"], "Comprobante.PDF", REAL_PDF, "application/pdf")
    assert response.status_code == 302
    proof = PaymentProof.objects.get()
    assert proof.file.name.endswith(".pdf")
    assert proof.file.open("rb").read() == REAL_PDF


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("comprobante.pdf", b"Pago hecho el lunes, referencia 123.\n" * 10, "no es un PDF"),
        ("comprobante.exe", b"MZ\x90\x00" + bytes(200), "PDF"),
        ("comprobante", REAL_PDF, "PDF"),
        ("comprobante.html", b"<script>alert(1)</script>", "PDF"),
        ("comprobante.pdf", b"%PDF-1.4\n" + bytes(10 * 1024 * 1024), "10 MB"),
        ("foto.jpg", image_bytes(size=(320, 240)) + bytes(11 * 1024 * 1024), "10 MB"),
        ("foto.jpg", b"Lista de precios: yuca 2500.\n" * 20, ""),
        ("foto.png", image_bytes(size=(32, 32)), ""),  # a JPEG named .png
        ("foto.gif", b"GIF89a" + bytes(50), "PDF"),
    ],
    ids=[
        "text-as-pdf",
        "exe",
        "no-extension",
        "html",
        "big-pdf",
        "big-jpeg",
        "text-as-jpg",
        "jpeg-as-png",
        "gif",
    ],
)
def test_bad_uploads_are_refused_with_a_message_and_store_nothing(
    client, transfer_order, settings, name, content, message
):
    before = _stored_files(settings)
    client.force_login(transfer_order["buyer"])
    response = _upload(client, transfer_order["order"], name, content)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors, "the buyer must be told why"
    html = response.content.decode()
    assert 'role="alert"' in html
    if message:
        assert message in " ".join(str(e) for e in errors.values())
    assert not PaymentProof.objects.exists()
    assert _stored_files(settings) == before


def test_missing_file_is_refused(client, transfer_order):
    client.force_login(transfer_order["buyer"])
    response = client.post(reverse("orders:transfer_proof", args=[transfer_order["order"].number]), {})
    assert response.status_code == 400
    assert not PaymentProof.objects.exists()


def test_another_buyer_cannot_upload_or_see_the_transfer_page(client, transfer_order):
    order = transfer_order["order"]
    client.force_login(UserFactory())
    assert client.get(reverse("orders:transfer", args=[order.number])).status_code == 404
    assert _upload(client, order, "c.pdf", REAL_PDF).status_code == 404
    assert not PaymentProof.objects.exists()


def test_upload_is_refused_once_the_order_is_paid(client, transfer_order, settings):
    order = transfer_order["order"]
    pay_every_part(order)
    client.force_login(transfer_order["buyer"])
    before = _stored_files(settings)
    response = _upload(client, order, "c.pdf", REAL_PDF)
    assert response.status_code == 400
    assert "ya está pagado" in response.content.decode()
    assert not PaymentProof.objects.exists()
    assert _stored_files(settings) == before


def test_get_is_not_an_upload(client, transfer_order):
    client.force_login(transfer_order["buyer"])
    response = client.get(reverse("orders:transfer_proof", args=[transfer_order["order"].number]))
    assert response.status_code == 405


@pytest.fixture
def proof(client, transfer_order):
    client.force_login(transfer_order["buyer"])
    _upload(client, transfer_order["order"], "recibo.jpg", jpeg_with_gps(), "image/jpeg")
    client.logout()
    return PaymentProof.objects.get()


def _proof_url(proof):
    return reverse("orders:transfer_proof_file", args=[proof.order.number, proof.pk])


def test_proof_is_served_to_the_buyer_the_cooperative_and_staff(client, transfer_order, proof):
    coop = transfer_order["coop"]
    viewers = [
        transfer_order["buyer"],
        MembershipFactory(cooperative=coop, role="manager").user,
        MembershipFactory(cooperative=coop, role="member").user,
        UserFactory(is_staff=True),
    ]
    for viewer in viewers:
        client.force_login(viewer)
        response = client.get(_proof_url(proof))
        assert response.status_code == 200, viewer
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


def test_proof_is_404_for_everyone_else(client, transfer_order, proof):
    url = _proof_url(proof)
    for stranger in (UserFactory(), MembershipFactory(role="manager").user):
        client.force_login(stranger)
        assert client.get(url).status_code == 404
    # The right pk under another order's number is no way round.
    client.force_login(transfer_order["buyer"])
    other = place_order(transfer_order["buyer"], [(make_product(CooperativeFactory()), "2")])
    assert client.get(reverse("orders:transfer_proof_file", args=[other.number, proof.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_pages_link_the_proof_through_the_checked_view_not_media(client, transfer_order, proof, settings):
    order, coop = transfer_order["order"], transfer_order["coop"]
    client.force_login(transfer_order["buyer"])
    page = client.get(reverse("orders:transfer", args=[order.number])).content.decode()
    assert _proof_url(proof) in page and settings.MEDIA_URL + "payment-proofs" not in page
    manager = MembershipFactory(cooperative=coop, role="manager").user
    client.force_login(manager)
    document = client.get(
        reverse("orders:workspace_document", args=[coop.slug, order.fulfilments.get().pk])
    ).content.decode()
    assert _proof_url(proof) in document and proof.file.name not in document


HOSTILE_PDFS = {
    "html-behind-a-pdf-signature": b"%PDF-1.4\n<html><body><script>fetch('/pedidos/')</script>"
    b"</body></html>\n%%EOF\n",
    "javascript": b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj\n"
    b"2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj\n%%EOF\n",
    "escaped-name": b"%PDF-1.4\n1 0 obj<</Type/Action/S/J#61vaScript/J#53(x)>>endobj\n%%EOF\n",
    "launch": b"%PDF-1.4\n1 0 obj<</Type/Action/S/Launch/F(cmd.exe)>>endobj\n%%EOF\n",
    "embedded-file": b"%PDF-1.4\n1 0 obj<</Type/EmbeddedFile/Length 3>>stream\nabc\nendstream\n%%EOF\n",
    "no-end": b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n",
}


@pytest.mark.parametrize("content", HOSTILE_PDFS.values(), ids=HOSTILE_PDFS.keys())
def test_a_pdf_with_scripts_or_html_is_refused_and_nothing_stored(client, transfer_order, settings, content):
    before = _stored_files(settings)
    client.force_login(transfer_order["buyer"])
    response = _upload(client, transfer_order["order"], "comprobante.pdf", content, "application/pdf")
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not PaymentProof.objects.exists()
    assert _stored_files(settings) == before


def test_a_pdf_proof_is_downloaded_sandboxed_never_run_inline(client, transfer_order):
    client.force_login(transfer_order["buyer"])
    _upload(client, transfer_order["order"], "comprobante.pdf", REAL_PDF, "application/pdf")
    proof = PaymentProof.objects.get()
    response = client.get(reverse("orders:transfer_proof_file", args=[proof.order.number, proof.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
