"""Bank-transfer proofs a buyer uploads: when an order takes one, storing it under a name
nothing can be guessed from, and serving it with its type. Who may see a proof is
`orders.selectors.proof_for_viewer`.
"""

import os
import re
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from orders.exceptions import ProofError
from orders.models import ORDER_ENDED, Order, PaymentMethod, PaymentProof, PaymentStatus

PROOF_MAX_BYTES = 10 * 1024 * 1024
PROOFS_PER_ORDER = 10
_PROOF_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
PROOF_CONTENT_TYPES = {ext: content_type for content_type, ext in _PROOF_EXTENSIONS.items()} | {
    ".jpeg": "image/jpeg"
}


# What a bank receipt never needs and an attacker does: scripts, actions run on opening,
# launched programs, embedded files or forms, and HTML a browser could be talked into.
_PDF_ACTIVE = re.compile(
    rb"/(JavaScript|JS|OpenAction|AA|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm|ImportData|GoToR)\b"
)
_HTML = re.compile(rb"<\s*(!doctype|html|script|body|iframe|svg|object|embed)\b", re.IGNORECASE)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def pdf_problem(data: bytes) -> str | None:
    """Why these bytes are not a harmless PDF, or None.

    A PDF starts with `%PDF-` and ends with `%%EOF`; it must carry no active content (names
    are read with their `#xx` escapes undone, so `/J#61vaScript` is caught) and no HTML.
    """
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        return _("This file is not a valid PDF.")
    names = _PDF_NAME_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), data)
    if _PDF_ACTIVE.search(names) or _HTML.search(data):
        return _("This PDF carries scripts or active content. Upload a photo or a plain PDF of the receipt.")
    return None


def transfer_proof_check(*, order: Order) -> None:
    """Raise ProofError when the order takes no (more) proofs."""
    if order.payment_method != PaymentMethod.TRANSFER:
        raise ProofError(_("Payment proofs are only for bank transfers."))
    if order.status in ORDER_ENDED:
        raise ProofError(_("This order was cancelled."))
    if order.payment_status != PaymentStatus.UNPAID:
        raise ProofError(_("This order is already paid."))
    if PaymentProof.objects.filter(order=order).count() >= PROOFS_PER_ORDER:
        raise ProofError(_("This order already has %(count)s proofs.") % {"count": PROOFS_PER_ORDER})


def transfer_proof_add(*, order: Order, file, uploaded_by) -> PaymentProof:
    """Store a proof that the upload form already validated and cleaned.

    The stored name is random (`payment-proofs/2026/05/Qx…w.pdf`): nothing about the
    order or the buyer is in it and it cannot be guessed.
    """
    content_type = getattr(file, "content_type", "")
    extension = _PROOF_EXTENSIONS.get(content_type)
    if extension is None:
        raise ProofError(_("Upload a photo (JPG, PNG, WebP) or a PDF."))
    with transaction.atomic():
        transfer_proof_check(order=order)
        proof = PaymentProof(order=order, uploaded_by=uploaded_by)
        proof.file.save(f"{secrets.token_urlsafe(18)}{extension}", file, save=False)
        try:
            proof.save()
        except Exception:
            proof.file.delete(save=False)
            raise
    return proof


def proof_content_type(proof: PaymentProof) -> str:
    return PROOF_CONTENT_TYPES.get(os.path.splitext(proof.file.name)[1].lower(), "application/octet-stream")
