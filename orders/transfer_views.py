"""Paying by bank transfer: the bank details and the order's reference, the buyer's proof
upload, and the proof files behind the access rule (`orders.selectors.proof_for_viewer`):
anyone outside it gets a 404, never a 403 that would confirm an order exists.
"""

import os

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from orders import selectors
from orders.exceptions import ProofError
from orders.forms import TransferProofForm
from orders.models import Order, PaymentMethod
from orders.transfer_proofs import proof_content_type, transfer_proof_add


def _transfer_page(request, order, form, status=200):
    return render(
        request,
        "orders/transfer_detail.html",
        {
            "order": order,
            "form": form,
            "proofs": order.payment_proofs.order_by("uploaded_at"),
            "bank_account": settings.MINGA_BANK_ACCOUNT,
        },
        status=status,
    )


def _buyer_transfer_order(request, number) -> Order:
    order = Order.objects.for_buyer(request.user).filter(number=number).first()
    if order is None or order.payment_method != PaymentMethod.TRANSFER:
        raise Http404
    return order


@login_required
def transfer_detail(request, number):
    """Bank details, the order's reference, its proofs and the upload form."""
    order = _buyer_transfer_order(request, number)
    return _transfer_page(request, order, TransferProofForm())


@login_required
@require_POST
def transfer_proof(request, number):
    order = _buyer_transfer_order(request, number)
    form = TransferProofForm(request.POST, request.FILES)
    if not form.is_valid():
        return _transfer_page(request, order, form, status=400)
    try:
        transfer_proof_add(order=order, file=form.cleaned_data["file"], uploaded_by=request.user)
    except ProofError as error:
        form.add_error(None, error.message)
        return _transfer_page(request, order, form, status=400)
    messages.success(
        request, _("Thank you. We received your proof; the order is marked paid once it is checked.")
    )
    return redirect("orders:transfer", order.number)


@login_required
@never_cache
def transfer_proof_file(request, number, pk):
    """A proof file, for the buyer, the order's cooperatives and staff only."""
    proof = selectors.proof_for_viewer(user=request.user, number=number, pk=pk)
    if proof is None:
        raise Http404
    try:
        handle = proof.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    extension = os.path.splitext(proof.file.name)[1].lower()
    # A photo opens in the page; a PDF is downloaded, never run by the browser on this site's
    # origin, and whatever the file is, it is sandboxed and its type is not guessed.
    response = FileResponse(
        handle,
        content_type=proof_content_type(proof),
        as_attachment=extension == ".pdf",
        filename=f"comprobante-{proof.order.number}-{proof.pk}{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
