"""Receipts and bills of one cooperative's part of an order, as a page or a PDF: the buyer's
and her cooperative's. Anyone outside the loaders' access rule (`orders.selectors`) gets a
404, never a 403 that would confirm an order exists.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cooperatives.permissions import workspace_membership
from orders import selectors
from orders.models import PaymentMethod, PaymentProof
from orders.receipt_pdf import document_pdf
from orders.receipts import document_build


def _document_response(request, fulfilment, *, as_pdf: bool, workspace: bool):
    document = document_build(fulfilment)
    if as_pdf or request.GET.get("format") == "pdf":
        response = HttpResponse(document_pdf(document), content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{document.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
    proofs = []
    if workspace and fulfilment.order.payment_method == PaymentMethod.TRANSFER:
        proofs = list(PaymentProof.objects.filter(order=fulfilment.order).order_by("uploaded_at"))
    return render(
        request,
        "orders/document_detail.html",
        {"document": document, "workspace": workspace, "proofs": proofs},
    )


@login_required
@never_cache
def order_document(request, number, pk, as_pdf=False):
    """The buyer's receipt or bill for one cooperative's part of her order."""
    fulfilment = selectors.fulfilment_for_buyer(user=request.user, number=number, pk=pk)
    if fulfilment is None:
        raise Http404
    return _document_response(request, fulfilment, as_pdf=as_pdf, workspace=False)


@login_required
@never_cache
def workspace_document(request, slug, pk, as_pdf=False):
    """The same document, for the members of the cooperative that sold."""
    membership = workspace_membership(request.user, slug)
    fulfilment = selectors.fulfilment_for_cooperative(cooperative=membership.cooperative, pk=pk)
    if fulfilment is None:
        raise Http404
    return _document_response(request, fulfilment, as_pdf=as_pdf, workspace=True)
