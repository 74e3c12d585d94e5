"""A receipt or bill (`orders.receipts.Document`), or a cooperative's packing list, drawn
as an A4 PDF.

Drawn with fpdf2's core Helvetica font, whose encoding is Latin-1 (WinAnsi): Spanish
accents, ñ, the peso sign and the no-break space of `$ 12.500` are in it; the rare
character outside it (an arrow, an emoji in a name) is replaced by `_latin1`.
fpdf2 is imported inside the functions: only document downloads pay for loading it.
"""

from django.utils.translation import gettext as _

from market.money import format_cop
from market.units import format_quantity, quantity_with_unit
from orders.receipts import Document, Party

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


# Every PDF of the platform draws its text this way (the impact report too).
pdf_text = _latin1


def document_pdf(document: Document, *, compress: bool = True) -> bytes:
    """The document as an A4 PDF. `compress=False` leaves the text searchable (tests)."""
    pdf = _page(f"{document.title} {document.number}", compress=compress)
    _header(pdf, document)
    _parties(pdf, document)
    _lines_table(pdf, document)
    _totals(pdf, document)
    _payment(pdf, document)
    return bytes(pdf.output())


def _page(title: str, *, compress: bool):
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.compress = compress
    pdf.set_title(_latin1(title))
    pdf.set_author("Minga")
    pdf.set_creator("Minga")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    return pdf


def _text(pdf, value, *, size=9, style="", w=0, h=5, align="L", ln=True) -> None:
    """One cell of text; `ln` goes to the next line, else the next cell is on its right."""
    from fpdf.enums import XPos, YPos

    pdf.set_font("helvetica", style=style, size=size)
    pdf.cell(
        w,
        h,
        _latin1(value),
        align=align,
        new_x=XPos.LMARGIN if ln else XPos.RIGHT,
        new_y=YPos.NEXT if ln else YPos.TOP,
    )


def _header(pdf, document: Document) -> None:
    _text(pdf, f"{document.title} {document.number}", size=15, style="B", h=8)
    _text(
        pdf,
        f"{_('Order')} {document.order.number} · {document.placed_at:%Y-%m-%d %H:%M}"
        + (
            f" · {_('Purchase order')} {document.purchase_order_number}"
            if document.purchase_order_number
            else ""
        ),
    )
    pdf.ln(3)


def _party_rows(party: Party, ordered_by: str = "") -> list[str]:
    rows = [party.name]
    if party.nit:
        rows.append(f"NIT {party.nit}")
    rows += party.address_lines
    if party.contact:
        rows.append(party.contact)
    if ordered_by:
        rows.append(f"{_('Ordered by')}: {ordered_by}")
    return rows


def _parties(pdf, document: Document) -> None:
    """Seller and buyer side by side, then the delivery and the part's status."""
    from fpdf.enums import XPos, YPos

    top = pdf.get_y()
    half = pdf.epw / 2 - 3
    columns = (
        (_("Seller"), _party_rows(document.seller)),
        (_("Buyer"), _party_rows(document.buyer, document.ordered_by)),
    )
    for index, (heading, rows) in enumerate(columns):
        pdf.set_xy(pdf.l_margin + index * (half + 6), top)
        pdf.set_font("helvetica", style="B", size=8)
        pdf.cell(half, 5, _latin1(heading.upper()), new_x=XPos.LEFT, new_y=YPos.NEXT)
        for row_index, row in enumerate(rows):
            pdf.set_font("helvetica", style="B" if row_index == 0 else "", size=9)
            pdf.multi_cell(half, 4.5, _latin1(row), new_x=XPos.LEFT, new_y=YPos.NEXT)
        if index == 0:
            bottom = pdf.get_y()
    pdf.set_y(max(bottom, pdf.get_y()))
    pdf.ln(2)
    _handover(pdf, document)
    _text(pdf, f"{_('Status')}: {document.fulfilment_status}")
    pdf.ln(3)


def _handover(pdf, document: Document) -> None:
    _handover_places(pdf, document.handover)


def _handover_places(pdf, handover) -> None:
    """How this part is handed over: the place or address, the day and window, the notes."""
    from fpdf.enums import XPos, YPos

    for place in handover.places:
        _text(pdf, place.title, style="B")
        rows = [place.when[:1].upper() + place.when[1:], place.where, place.instructions]
        pdf.set_font("helvetica", size=9)
        for row in rows:
            if row:
                pdf.multi_cell(0, 5, _latin1(row), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _table(pdf, *, size, col_widths, text_align, line_height, headings, rows) -> None:
    """A table of text: a heading row, then one row per item of `rows` (each a sequence of
    cells); every cell goes through `_latin1`."""
    pdf.set_font("helvetica", size=size)
    with pdf.table(
        col_widths=col_widths,
        text_align=text_align,
        line_height=line_height,
        first_row_as_headings=True,
    ) as table:
        for cells in (headings, *rows):
            row = table.row()
            for cell in cells:
                row.cell(_latin1(cell))


def _lines_table(pdf, document: Document) -> None:
    _table(
        pdf,
        size=9,
        col_widths=(68, 28, 28, 28, 28),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        headings=(_("Product"), _("Ordered"), _("Delivered"), _("Unit price"), _("Total")),
        rows=(
            (
                line.product_name + (f" ({_('rejected')})" if line.rejected else ""),
                quantity_with_unit(line.ordered, line.unit),
                format_quantity(line.delivered) if line.delivered is not None else "-",
                format_cop(line.unit_price_cop),
                format_cop(line.total_cop),
            )
            for line in document.lines
        ),
    )
    pdf.ln(2)


def _totals(pdf, document: Document) -> None:
    for label, amount, style in (
        (_("Subtotal"), document.subtotal_cop, ""),
        (_("Delivery fee"), document.delivery_fee_cop, ""),
        (_("Total"), document.total_cop, "B"),
    ):
        _text(pdf, label, style=style, size=10, w=pdf.epw - 35, align="R", ln=False)
        _text(pdf, format_cop(amount), style=style, size=10, w=35, align="R")
    pdf.ln(4)


def _payment(pdf, document: Document) -> None:
    """How and when to pay, then the notice that this is no electronic invoice."""
    _text(pdf, _("Payment"), style="B", size=10)
    _text(pdf, f"{_('Method')}: {document.payment_method} · {_('Status')}: {document.payment_status}")
    if document.payment_terms:
        _text(pdf, document.payment_terms)
    if document.due_on:
        _text(pdf, f"{_('Due date')}: {document.due_on:%Y-%m-%d}", style="B")
    if document.transfer_reference:
        _text(pdf, f"{_('Transfer reference')}: {document.transfer_reference}", style="B")
        _text(pdf, f"{_('Account')}: {document.bank_account}")
    pdf.ln(6)
    _text(pdf, document.notice, size=7)


def packing_list_pdf(packing, *, compress: bool = True) -> bytes:
    """A cooperative's packing list (`orders.selectors.packing_list`) as an A4 PDF: who,
    how it is handed over, and each line to pack with room to write the weight and tick it."""
    from fpdf.enums import XPos, YPos

    order = packing.order
    pdf = _page(f"{_('Packing list')} {order.number}", compress=compress)
    _text(pdf, f"{_('Packing list')} · {order.number}", size=15, style="B", h=8)
    _text(pdf, f"{packing.cooperative.name} · {packing.placed_at:%Y-%m-%d %H:%M} · {packing.status}")
    pdf.ln(2)
    _text(pdf, packing.buyer + (f" · {packing.phone}" if packing.phone else ""), size=11, style="B")
    _handover_places(pdf, packing.handover)
    if order.notes:
        pdf.set_font("helvetica", size=9)
        pdf.multi_cell(0, 5, _latin1(f"{_('Notes')}: {order.notes}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    _table(
        pdf,
        size=11,
        col_widths=(80, 30, 25, 30, 15),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "CENTER"),
        line_height=8,
        headings=(_("Product"), _("Unit"), _("Ordered"), _("Delivered"), _("Packed")),
        rows=(
            (
                line.product_name,
                line.get_unit_display(),
                format_quantity(line.quantity),
                format_quantity(line.delivered_quantity) if line.delivered_quantity is not None else "",
                "",
            )
            for line in packing.lines
        ),
    )
    return bytes(pdf.output())
