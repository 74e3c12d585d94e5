"""The report's tables as files: CSV (one table), XLSX (a sheet per table, openpyxl) and a
printable PDF (fpdf2's core font, as the receipts do: `orders.receipt_pdf._latin1`)."""

import io

from django.utils.translation import gettext as _

from impact.report import Report
from impact.tables import Table, cell_plain, cell_show
from market.spreadsheets import inert
from orders.receipt_pdf import pdf_text as _latin1


def _plain_row(table: Table, row: list) -> list:
    return [
        inert(cell) if isinstance(cell, str) else cell_plain(cell, column.kind)
        for cell, column in zip(row, table.columns, strict=True)
    ]


def table_csv_rows(table: Table) -> list[list]:
    return [table.header, *(_plain_row(table, row) for row in table.rows)]


def report_csv_rows(report: Report, *, only: str = "") -> list[list]:
    """The tables (or only the one whose slug is `only`), one after the other, each under its
    title. Written with `market.spreadsheets.csv_download` (UTF-8 with a byte-order mark)."""
    tables = [t for t in report.tables if t.slug == only] or report.tables
    rows = [[report.programme.name, report.period_label]]
    for table in tables:
        rows += [[], [table.title], *table_csv_rows(table)]
    return rows


def report_xlsx(report: Report) -> bytes:
    """A workbook with a sheet per table (indicators, municipality, sex, month, cooperative, market)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in report.tables:
        sheet = book.create_sheet(title=table.title[:31])
        sheet.append([report.programme.name])
        sheet.append([report.period_label])
        sheet.append(table.header)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(_plain_row(table, row))
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_pdf(report: Report, *, compress: bool = True) -> bytes:
    """The programme's report on A4, landscape: title, period, then every table."""
    from fpdf import FPDF

    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.compress = compress
    pdf.set_title(_latin1(report.programme.name))
    pdf.set_author("Minga")
    pdf.set_creator("Minga")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 7, _latin1(report.programme.name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    pdf.multi_cell(
        0,
        5,
        _latin1(f"{_('Funder')}: {report.programme.funder} · {_('Period')}: {report.period_label}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        0,
        5,
        _latin1(
            _("< 5: fewer than five people; the figure is withheld so that no family can be singled out.")
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for table in report.tables:
        pdf.ln(3)
        pdf.set_font("helvetica", "B", 12)
        pdf.cell(0, 7, _latin1(table.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 8)
        with pdf.table(text_align="LEFT", line_height=5, first_row_as_headings=True) as grid:
            header = grid.row()
            for title in table.header:
                header.cell(_latin1(title))
            for row in table.rows:
                line = grid.row()
                for cell, column in zip(row, table.columns, strict=True):
                    line.cell(_latin1(cell_show(cell, column.kind)))
            if not table.rows:
                grid.row().cell(_latin1(_("Nothing in this period.")), colspan=len(table.columns))
    return bytes(pdf.output())
