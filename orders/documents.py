"""Documents of an order: the receipt or bill of each cooperative's part (as a page and as a
PDF), the bank-transfer proofs a buyer uploads, and the per-cooperative statement.

Who may see what is decided by the loaders here, so every view asks the same question:

- a buyer sees the documents of her own orders (`Order.objects.for_buyer`); any other
  order number is a 404, never a "forbidden" that would confirm the order exists;
- a cooperative's members see the document of their own fulfilment only;
- a transfer proof is seen by the buyer, by a member of a cooperative that has a part in
  the order, and by staff. Proof files get a random name and are only ever served through
  `document_views.transfer_proof_file`, never linked with MEDIA_URL.

The PDF is drawn with fpdf2's core Helvetica font, whose encoding is Latin-1 (WinAnsi):
Spanish accents, ñ, the peso sign and the no-break space of `$ 12.500` are in it; the rare
character outside it (an arrow, an emoji in a name) is replaced by `_latin1`.
"""

import os
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Case, Count, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cooperatives.models import Cooperative, Membership
from market.money import format_cop
from market.nit import format_nit
from market.units import format_quantity
from orders.exceptions import OrderError
from orders.models import (
    FULFILMENT_ENDED,
    ORDER_ENDED,
    ORDER_NOT_PLACED,
    Fulfilment,
    LineStatus,
    Order,
    OrderLine,
    PaymentMethod,
    PaymentProof,
    PaymentStatus,
)

# --- Loading, with the access rule ---------------------------------------------------------


def _fulfilments():
    return Fulfilment.objects.select_related(
        "order__buyer",
        "order__organization__municipality__department",
        "cooperative__municipality__department",
    )


def fulfilment_for_buyer(*, user, number: str, pk) -> Fulfilment | None:
    """One cooperative's part of the user's own order, or None (the view turns it into 404)."""
    return _fulfilments().filter(pk=pk, order__in=Order.objects.for_buyer(user).filter(number=number)).first()


def fulfilment_for_cooperative(*, cooperative: Cooperative, pk) -> Fulfilment | None:
    """The cooperative's own fulfilment, or None. Membership is checked by the caller
    (`cooperatives.permissions.workspace_membership`)."""
    return _fulfilments().filter(pk=pk, cooperative=cooperative).first()


def user_may_see_order_payments(*, user, order: Order) -> bool:
    """The buyer, a member of a cooperative with a part in the order, or staff."""
    if not user.is_authenticated:
        return False
    if user.is_staff or order.buyer_id == user.pk:
        return True
    return Membership.objects.filter(user=user, cooperative__fulfilments__order=order).exists()


def proof_for_viewer(*, user, number: str, pk) -> PaymentProof | None:
    proof = PaymentProof.objects.select_related("order").filter(pk=pk, order__number=number).first()
    if proof is None or not user_may_see_order_payments(user=user, order=proof.order):
        return None
    return proof


# --- The document's data --------------------------------------------------------------------


@dataclass
class Party:
    name: str
    nit: str = ""
    address_lines: list[str] = field(default_factory=list)
    contact: str = ""


@dataclass
class DocumentLine:
    product_name: str
    unit: str
    ordered: Decimal
    delivered: Decimal | None
    unit_price_cop: int
    total_cop: int
    rejected: bool


@dataclass
class Document:
    """Everything a receipt or bill shows; the page and the PDF both read only this."""

    title: str
    number: str
    filename: str
    order: Order
    fulfilment: Fulfilment
    seller: Party
    buyer: Party
    ordered_by: str
    purchase_order_number: str
    placed_at: datetime
    delivery: str
    lines: list[DocumentLine]
    subtotal_cop: int
    delivery_fee_cop: int
    total_cop: int
    fulfilment_status: str
    payment_method: str
    payment_status: str
    payment_terms: str
    due_on: date | None
    transfer_reference: str
    bank_account: str
    notice: str


def _local(value: datetime) -> datetime:
    return timezone.localtime(value, timezone.get_default_timezone())


def _place(municipality) -> str:
    if municipality is None:
        return ""
    department = getattr(municipality, "department", None)
    return f"{municipality.name}, {department.name}" if department else municipality.name


def document_number(fulfilment: Fulfilment) -> str:
    """`MG-7K3P9QXA-C12`: the order's number and the cooperative, stable for ever."""
    return f"{fulfilment.order.number}-C{fulfilment.cooperative_id}"


def document_build(fulfilment: Fulfilment) -> Document:
    """The receipt (or, for invoice on credit, the bill) of one cooperative's part of an order.

    Expects a fulfilment from `fulfilment_for_buyer` / `fulfilment_for_cooperative` (its
    order, buyer, organisation and cooperative joined); reads its lines in one query.
    """
    order = fulfilment.order
    cooperative = fulfilment.cooperative
    organization = order.organization
    lines = [
        DocumentLine(
            product_name=line.product_name,
            unit=line.get_unit_display(),
            ordered=line.quantity,
            delivered=line.delivered_quantity,
            unit_price_cop=line.unit_price_cop,
            total_cop=line.total_cop,
            rejected=line.status == LineStatus.REJECTED,
        )
        for line in OrderLine.objects.filter(fulfilment=fulfilment).order_by("product_name", "id")
    ]
    seller = Party(
        name=cooperative.name,
        nit=format_nit(cooperative.nit),
        address_lines=[a for a in (cooperative.pickup_address, _place(cooperative.municipality)) if a],
        contact=cooperative.email or cooperative.phone,
    )
    person = order.buyer.get_full_name() or order.buyer.email
    if organization is not None:
        buyer = Party(
            name=organization.legal_name,
            nit=format_nit(organization.nit),
            address_lines=[a for a in (organization.billing_address, _place(organization.municipality)) if a],
            contact=organization.email or organization.phone,
        )
    else:
        buyer = Party(name=person, contact=order.buyer.email)

    placed_at = _local(order.placed_at)
    is_invoice = order.payment_method == PaymentMethod.INVOICE
    terms = {
        PaymentMethod.CASH: _("Pay in cash on delivery or pickup."),
        PaymentMethod.TRANSFER: _("Bank transfer to Minga with the reference below."),
        PaymentMethod.CARD: _("Card payment through Minga."),
    }.get(order.payment_method, "")
    if is_invoice and order.due_on:
        days = (order.due_on - placed_at.date()).days
        terms = ngettext("Credit: pay within %(days)s day.", "Credit: pay within %(days)s days.", days) % {
            "days": days
        }
    delivery = order.get_delivery_method_display()
    if order.delivery_address:
        delivery = f"{delivery}: {order.delivery_address}"
    number = document_number(fulfilment)
    title = _("Bill") if is_invoice else _("Receipt")
    return Document(
        title=title,
        number=number,
        filename=f"{'cuenta-de-cobro' if is_invoice else 'recibo'}-{number}.pdf",
        order=order,
        fulfilment=fulfilment,
        seller=seller,
        buyer=buyer,
        ordered_by=person if organization is not None else "",
        purchase_order_number=order.purchase_order_number,
        placed_at=placed_at,
        delivery=delivery,
        lines=lines,
        subtotal_cop=fulfilment.subtotal_cop,
        delivery_fee_cop=fulfilment.delivery_fee_cop,
        total_cop=fulfilment.total_cop,
        fulfilment_status=fulfilment.get_status_display(),
        payment_method=order.get_payment_method_display(),
        payment_status=fulfilment.get_payment_status_display(),
        payment_terms=terms,
        due_on=order.due_on if is_invoice else None,
        transfer_reference=order.transfer_reference if order.payment_method == PaymentMethod.TRANSFER else "",
        bank_account=settings.MINGA_BANK_ACCOUNT if order.payment_method == PaymentMethod.TRANSFER else "",
        notice=_("Issued through Minga. This document is not an electronic sales invoice (DIAN)."),
    )


# --- The PDF ---------------------------------------------------------------------------------

_LATIN1_SUBSTITUTES = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2192": "->",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "\u00b7",
        "\u202f": "\u00a0",
        "\u20ac": "EUR",
    }
)


def _latin1(text) -> str:
    """The text as the core fonts can draw it: Spanish is untouched, the rest approximated."""
    text = str(text if text is not None else "").translate(_LATIN1_SUBSTITUTES)
    return text.encode("latin-1", "replace").decode("latin-1")


def document_pdf(document: Document, *, compress: bool = True) -> bytes:
    """The document as an A4 PDF. `compress=False` leaves the text searchable (tests)."""
    from fpdf import FPDF  # Imported here: only document downloads pay for loading it.
    from fpdf.enums import XPos, YPos

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.compress = compress
    pdf.set_title(_latin1(f"{document.title} {document.number}"))
    pdf.set_author("Minga")
    pdf.set_creator("Minga")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    width = pdf.epw

    def text(value, *, size=9, style="", w=0, h=5, align="L", ln=True):
        pdf.set_font("helvetica", style=style, size=size)
        pdf.cell(
            w,
            h,
            _latin1(value),
            align=align,
            new_x=XPos.LMARGIN if ln else XPos.RIGHT,
            new_y=YPos.NEXT if ln else YPos.TOP,
        )

    text(f"{document.title} {document.number}", size=15, style="B", h=8)
    text(
        f"{_('Order')} {document.order.number} · {document.placed_at:%Y-%m-%d %H:%M}"
        + (
            f" · {_('Purchase order')} {document.purchase_order_number}"
            if document.purchase_order_number
            else ""
        )
    )
    pdf.ln(3)

    # Seller and buyer side by side.
    top = pdf.get_y()
    half = width / 2 - 3
    for index, (heading, party) in enumerate(((_("Seller"), document.seller), (_("Buyer"), document.buyer))):
        x = pdf.l_margin + index * (half + 6)
        pdf.set_xy(x, top)
        rows = [party.name]
        if party.nit:
            rows.append(f"NIT {party.nit}")
        rows += party.address_lines
        if party.contact:
            rows.append(party.contact)
        if index == 1 and document.ordered_by:
            rows.append(f"{_('Ordered by')}: {document.ordered_by}")
        pdf.set_font("helvetica", style="B", size=8)
        pdf.cell(half, 5, _latin1(heading.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT)
        for row_index, row in enumerate(rows):
            pdf.set_font("helvetica", style="B" if row_index == 0 else "", size=9)
            pdf.multi_cell(half, 4.5, _latin1(row), new_x=XPos.LEFT, new_y=YPos.NEXT)
        if index == 0:
            bottom = pdf.get_y()
    pdf.set_y(max(bottom, pdf.get_y()))
    pdf.ln(2)
    text(document.delivery)
    text(f"{_('Status')}: {document.fulfilment_status}")
    pdf.ln(3)

    # Lines.
    pdf.set_font("helvetica", size=9)
    with pdf.table(
        col_widths=(68, 28, 28, 28, 28),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        header = table.row()
        for label in (_("Product"), _("Ordered"), _("Delivered"), _("Unit price"), _("Total")):
            header.cell(_latin1(label))
        for line in document.lines:
            row = table.row()
            name = line.product_name + (f" ({_('rejected')})" if line.rejected else "")
            row.cell(_latin1(name))
            row.cell(_latin1(f"{format_quantity(line.ordered)} {line.unit}"))
            row.cell(_latin1(format_quantity(line.delivered) if line.delivered is not None else "-"))
            row.cell(_latin1(format_cop(line.unit_price_cop)))
            row.cell(_latin1(format_cop(line.total_cop)))
    pdf.ln(2)
    for label, amount, style in (
        (_("Subtotal"), document.subtotal_cop, ""),
        (_("Delivery fee"), document.delivery_fee_cop, ""),
        (_("Total"), document.total_cop, "B"),
    ):
        text(label, style=style, size=10, w=width - 35, align="R", ln=False)
        text(format_cop(amount), style=style, size=10, w=35, align="R")
    pdf.ln(4)

    text(_("Payment"), style="B", size=10)
    text(f"{_('Method')}: {document.payment_method} · {_('Status')}: {document.payment_status}")
    if document.payment_terms:
        text(document.payment_terms)
    if document.due_on:
        text(f"{_('Due date')}: {document.due_on:%Y-%m-%d}", style="B")
    if document.transfer_reference:
        text(f"{_('Transfer reference')}: {document.transfer_reference}", style="B")
        text(f"{_('Account')}: {document.bank_account}")
    pdf.ln(6)
    text(document.notice, size=7)
    return bytes(pdf.output())


# --- Bank-transfer proofs ------------------------------------------------------------------

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


class ProofError(OrderError):
    """A proof that cannot be attached to this order (wrong method, paid, cancelled, too many)."""


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


# --- The per-cooperative statement ----------------------------------------------------------

# A sale counts in the statement once the order is placed (a card order waiting for its
# payment is not a sale yet) and while the cooperative's part is alive.
# Where the money of each method lands: the cooperative's own hands, or Minga's account.
COLLECTED_BY_PLATFORM = (PaymentMethod.CARD, PaymentMethod.TRANSFER, PaymentMethod.INVOICE)


@dataclass
class MethodRow:
    method: str
    label: str
    count: int = 0
    sold_cop: int = 0
    collected_cop: int = 0
    outstanding_cop: int = 0
    owed_cop: int = 0
    collected_by_platform: bool = False


@dataclass
class Statement:
    cooperative: Cooperative
    start: date
    end: date
    rows: list[MethodRow]
    fulfilments: list[Fulfilment]
    count: int
    sold_cop: int
    collected_cop: int
    outstanding_cop: int
    owed_cop: int


def month_bounds(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    next_month = (start + timedelta(days=32)).replace(day=1)
    return start, next_month - timedelta(days=1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def statement_build(*, cooperative: Cooperative, start: date, end: date) -> Statement:
    """What `cooperative` sold between the Bogotá dates `start` and `end` (both included),
    what was collected, by which method, and what Minga owes it.

    The rule, per payment method of the orders its parts belong to:

    - sold: the totals (lines as delivered, plus its delivery fee) of its fulfilments in
      orders placed in the period, leaving out rejected and cancelled parts and orders
      that are cancelled, expired or still waiting for a card payment;
    - collected: the part of those sales that is paid: for cash, transfer and invoice, the
      parts whose payment the cooperative recorded (each cooperative records its own part,
      whatever the other parts of the order); for a card, the parts of orders whose
      payment was captured. Refunded or failed payments are not collected; an authorised
      card is not collected until it is captured;
    - owed by Minga: what Minga collected for the cooperative. Cash is handed to the
      cooperative itself at delivery or pickup, so it is collected but never owed. Card
      payments (Stripe), bank transfers (to Minga's account) and invoices on credit (the
      buyer pays Minga) are owed to the cooperative once they are paid.

    Two queries whatever the number of orders: one aggregate grouped by method and
    whether the part is paid, one list of the parts for the printable page.
    """
    fulfilments = (
        Fulfilment.objects.filter(
            cooperative=cooperative,
            order__placed_at__gte=_day_start(start),
            order__placed_at__lt=_day_start(end + timedelta(days=1)),
        )
        .exclude(status__in=FULFILMENT_ENDED)
        .exclude(order__status__in=ORDER_NOT_PLACED)
    )
    grouped = (
        fulfilments.order_by()
        .annotate(
            collected=Case(
                When(
                    Q(paid_at__isnull=False) | Q(order__payment_status=PaymentStatus.PAID),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values("order__payment_method", "collected")
        .annotate(total=Sum("total_cop"), count=Count("id"))
    )
    rows = {method: MethodRow(method=method, label=str(label)) for method, label in PaymentMethod.choices}
    for group in grouped:
        row = rows[group["order__payment_method"]]
        row.count += group["count"]
        row.sold_cop += group["total"] or 0
        if group["collected"]:
            row.collected_cop += group["total"] or 0
    for row in rows.values():
        row.outstanding_cop = row.sold_cop - row.collected_cop
        row.collected_by_platform = row.method in COLLECTED_BY_PLATFORM
        row.owed_cop = row.collected_cop if row.collected_by_platform else 0
    listed = list(fulfilments.select_related("order__organization").order_by("order__placed_at", "order__id"))
    for item in listed:
        item.placed_at_local = _local(item.order.placed_at)
    ordered_rows = list(rows.values())
    return Statement(
        cooperative=cooperative,
        start=start,
        end=end,
        rows=ordered_rows,
        fulfilments=listed,
        count=sum(r.count for r in ordered_rows),
        sold_cop=sum(r.sold_cop for r in ordered_rows),
        collected_cop=sum(r.collected_cop for r in ordered_rows),
        outstanding_cop=sum(r.outstanding_cop for r in ordered_rows),
        owed_cop=sum(r.owed_cop for r in ordered_rows),
    )
