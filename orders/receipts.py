"""The receipt (or, for invoice on credit, the bill) of one cooperative's part of an order:
everything it shows, read once, for the page and the PDF (`orders.receipt_pdf`) alike.
Who may see it is decided by the loaders in `orders.selectors`.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from market.nit import format_nit
from orders.handover import Handover, handover_of
from orders.models import Fulfilment, LineStatus, Order, OrderLine, PaymentMethod


@dataclass
class Party:
    name: str
    nit: str = ""
    address_lines: list[str] = field(default_factory=list)
    contact: str = ""


@dataclass
class DocumentLine:
    product_name: str
    unit: str  # the unit's code (`market.units.Unit`), named with its quantity
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
    handover: Handover  # this cooperative's pickup place and window, or the delivery
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


def local_time(value: datetime) -> datetime:
    """`value` in the site's time zone (America/Bogota), whatever zone is active."""
    return timezone.localtime(value, timezone.get_default_timezone())


def document_number(fulfilment: Fulfilment) -> str:
    """`MG-7K3P9QXA-C12`: the order's number and the cooperative, stable for ever."""
    return f"{fulfilment.order.number}-C{fulfilment.cooperative_id}"


def document_build(fulfilment: Fulfilment) -> Document:
    """The receipt (or, for invoice on credit, the bill) of one cooperative's part of an order.

    Expects a fulfilment from `fulfilment_for_buyer` / `fulfilment_for_cooperative` (its
    order, buyer, organisation and cooperative joined); reads its lines in one query.
    """
    order = fulfilment.order
    placed_at = local_time(order.placed_at)
    is_invoice = order.payment_method == PaymentMethod.INVOICE
    is_transfer = order.payment_method == PaymentMethod.TRANSFER
    number = document_number(fulfilment)
    return Document(
        title=_("Bill") if is_invoice else _("Receipt"),
        number=number,
        filename=f"{'cuenta-de-cobro' if is_invoice else 'recibo'}-{number}.pdf",
        order=order,
        fulfilment=fulfilment,
        seller=_seller(fulfilment),
        buyer=_buyer(order),
        ordered_by=_person(order) if order.organization is not None else "",
        purchase_order_number=order.purchase_order_number,
        placed_at=placed_at,
        handover=handover_of(order).for_cooperative(fulfilment.cooperative_id),
        lines=_lines(fulfilment),
        subtotal_cop=fulfilment.subtotal_cop,
        delivery_fee_cop=fulfilment.delivery_fee_cop,
        total_cop=fulfilment.total_cop,
        fulfilment_status=fulfilment.get_status_display(),
        payment_method=order.get_payment_method_display(),
        payment_status=fulfilment.get_payment_status_display(),
        payment_terms=_payment_terms(order, placed_at),
        due_on=order.due_on if is_invoice else None,
        transfer_reference=order.transfer_reference if is_transfer else "",
        bank_account=settings.MINGA_BANK_ACCOUNT if is_transfer else "",
        notice=_("Issued through Minga. This document is not an electronic sales invoice (DIAN)."),
    )


def _lines(fulfilment: Fulfilment) -> list[DocumentLine]:
    return [
        DocumentLine(
            product_name=line.product_name,
            unit=line.unit,
            ordered=line.quantity,
            delivered=line.delivered_quantity,
            unit_price_cop=line.unit_price_cop,
            total_cop=line.total_cop,
            rejected=line.status == LineStatus.REJECTED,
        )
        for line in OrderLine.objects.filter(fulfilment=fulfilment).order_by("product_name", "id")
    ]


def _place(municipality) -> str:
    if municipality is None:
        return ""
    department = getattr(municipality, "department", None)
    return f"{municipality.name}, {department.name}" if department else municipality.name


def _seller(fulfilment: Fulfilment) -> Party:
    cooperative = fulfilment.cooperative
    return Party(
        name=cooperative.name,
        nit=format_nit(cooperative.nit),
        address_lines=[a for a in (cooperative.pickup_address, _place(cooperative.municipality)) if a],
        contact=cooperative.email or cooperative.phone,
    )


def _person(order: Order) -> str:
    return order.buyer.get_full_name() or order.buyer.email


def _buyer(order: Order) -> Party:
    """The organisation the order is for, or else the person who placed it."""
    organization = order.organization
    if organization is None:
        return Party(name=_person(order), contact=order.buyer.email)
    return Party(
        name=organization.legal_name,
        nit=format_nit(organization.nit),
        address_lines=[a for a in (organization.billing_address, _place(organization.municipality)) if a],
        contact=organization.email or organization.phone,
    )


def _payment_terms(order: Order, placed_at: datetime) -> str:
    if order.payment_method == PaymentMethod.INVOICE and order.due_on:
        days = (order.due_on - placed_at.date()).days
        return ngettext("Credit: pay within %(days)s day.", "Credit: pay within %(days)s days.", days) % {
            "days": days
        }
    return {
        PaymentMethod.CASH: _("Pay in cash on delivery or pickup."),
        PaymentMethod.TRANSFER: _("Bank transfer to Minga with the reference below."),
        PaymentMethod.CARD: _("Card payment through Minga."),
    }.get(order.payment_method, "")
