"""Receipts and bills (page and PDF), bank-transfer instructions and proofs, and the
cooperative's statement. Access rules live in `orders.documents`; anyone outside them
gets a 404, never a 403 that would confirm an order exists.
"""

import os
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cooperatives.permissions import workspace_membership
from market.images import PhotoField
from market.spreadsheets import csv_download
from orders import documents
from orders.models import Order, PaymentMethod, PaymentProof

# --- Receipts and bills ----------------------------------------------------------------------


def _document_response(request, fulfilment, *, as_pdf: bool, workspace: bool):
    document = documents.document_build(fulfilment)
    if as_pdf or request.GET.get("format") == "pdf":
        response = HttpResponse(documents.document_pdf(document), content_type="application/pdf")
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
    fulfilment = documents.fulfilment_for_buyer(user=request.user, number=number, pk=pk)
    if fulfilment is None:
        raise Http404
    return _document_response(request, fulfilment, as_pdf=as_pdf, workspace=False)


@login_required
@never_cache
def workspace_document(request, slug, pk, as_pdf=False):
    """The same document, for the members of the cooperative that sold."""
    membership = workspace_membership(request.user, slug)
    fulfilment = documents.fulfilment_for_cooperative(cooperative=membership.cooperative, pk=pk)
    if fulfilment is None:
        raise Http404
    return _document_response(request, fulfilment, as_pdf=as_pdf, workspace=True)


# --- Bank transfer ---------------------------------------------------------------------------


class TransferProofForm(forms.Form):
    """A photo of the transfer receipt (cleaned by market.images, the one upload cleaner)
    or a PDF (checked by extension, size and its `%PDF-` signature)."""

    file = forms.FileField(
        label=gettext_lazy("Proof of transfer"),
        help_text=gettext_lazy("A photo (JPG, PNG, WebP) or a PDF, up to 10 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf,image/*,application/pdf"}
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > documents.PROOF_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB."), code="too_big")
        extension = os.path.splitext(upload.name or "")[1].lower()
        if extension == ".pdf":
            upload.seek(0)
            signature = upload.read(5)
            upload.seek(0)
            if signature != b"%PDF-":
                raise ValidationError(_("This file is not a valid PDF."), code="invalid_pdf")
            upload.content_type = "application/pdf"
            return upload
        if extension in (".jpg", ".jpeg", ".png", ".webp"):
            # Wagtail's validation (format matches extension, size, pixels) and metadata stripping.
            return PhotoField(required=True).clean(upload)
        raise ValidationError(_("Upload a photo (JPG, PNG, WebP) or a PDF."), code="invalid_type")


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
        documents.transfer_proof_add(order=order, file=form.cleaned_data["file"], uploaded_by=request.user)
    except documents.ProofError as error:
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
    proof = documents.proof_for_viewer(user=request.user, number=number, pk=pk)
    if proof is None:
        raise Http404
    try:
        handle = proof.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    extension = os.path.splitext(proof.file.name)[1].lower()
    response = FileResponse(
        handle,
        content_type=documents.proof_content_type(proof),
        as_attachment=False,
        filename=f"comprobante-{proof.order.number}-{proof.pk}{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Statement -------------------------------------------------------------------------------


class StatementPeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d"])

    def period(self) -> tuple[date, date]:
        default_start, default_end = documents.month_bounds(timezone.localdate())
        start = self.cleaned_data.get("start") or default_start
        end = self.cleaned_data.get("end") or (
            documents.month_bounds(start)[1] if self.cleaned_data.get("start") else default_end
        )
        if end < start:
            raise ValidationError(_("The end date is before the start date."))
        if (end - start).days > 366:
            raise ValidationError(_("Choose a period of at most one year."))
        return start, end


@login_required
@never_cache
def statement(request, slug):
    """What the cooperative sold, collected and is owed in a period (managers only).

    `?from=YYYY-MM-DD&to=YYYY-MM-DD` in Bogotá dates; the current month by default.
    `&format=csv` downloads the same figures.
    """
    membership = workspace_membership(request.user, slug, manage=True)
    form = StatementPeriodForm({"start": request.GET.get("from", ""), "end": request.GET.get("to", "")})
    status = 200
    period = None
    if form.is_valid():
        try:
            period = form.period()
        except ValidationError as error:
            form.add_error(None, error)
    if period is None:
        status = 400
        period = documents.month_bounds(timezone.localdate())
    result = documents.statement_build(cooperative=membership.cooperative, start=period[0], end=period[1])
    if request.GET.get("format") == "csv" and status == 200:
        return _statement_csv(result)
    return render(
        request,
        "orders/statement.html",
        {"cooperative": membership.cooperative, "statement": result, "form": form},
        status=status,
    )


def _statement_csv(result) -> HttpResponse:
    response, writer = csv_download(
        f"estado-{result.cooperative.slug}-{result.start:%Y-%m-%d}-{result.end:%Y-%m-%d}.csv"
    )
    writer.writerow(
        [
            _("Payment method"),
            _("Orders"),
            _("Sold"),
            _("Collected"),
            _("Not yet collected"),
            _("Owed by Minga"),
        ]
    )
    for row in result.rows:
        writer.writerow(
            [row.label, row.count, row.sold_cop, row.collected_cop, row.outstanding_cop, row.owed_cop]
        )
    writer.writerow(
        [
            _("Total"),
            result.count,
            result.sold_cop,
            result.collected_cop,
            result.outstanding_cop,
            result.owed_cop,
        ]
    )
    return response
