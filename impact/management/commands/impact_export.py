"""`manage.py impact_export --programme SLUG --period 2026-01..2026-12 --format xlsx --out FILE`:
a programme's report for funders' regular reports, as XLSX (a sheet per table: indicators,
municipality, sex, month, cooperative, market), CSV or PDF. The same tables as the page."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from impact import exports
from impact.models import Programme
from impact.report import PeriodError, parse_period, programme_report
from impact.tables import SMALL, cell_show


class Command(BaseCommand):
    help = "Export a programme's impact report (XLSX, CSV or PDF) for a period of months."

    def add_arguments(self, parser):
        parser.add_argument("--programme", required=True, help="the programme's slug")
        parser.add_argument("--period", help="YYYY-MM..YYYY-MM (default: the programme's own period)")
        parser.add_argument("--format", choices=["xlsx", "csv", "pdf"], default="xlsx")
        parser.add_argument("--out", required=True, help="the file to write")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="es (default) or en")

    def handle(self, *args, language, **options):
        with translation.override(language):
            self._export(**options)

    def _export(self, *, programme, period, format, out, **options):
        found = Programme.objects.filter(slug=programme).first()
        if found is None:
            raise CommandError(f"No programme with the slug {programme!r}.")
        try:
            start, end = parse_period(period) if period else (found.starts_on, found.ends_on)
        except PeriodError as error:
            raise CommandError(str(error)) from None
        report = programme_report(found, start=start, end=end)
        path = Path(out)
        if format == "xlsx":
            path.write_bytes(exports.report_xlsx(report))
        elif format == "pdf":
            path.write_bytes(exports.report_pdf(report))
        else:
            import csv

            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                csv.writer(handle).writerows(exports.report_csv_rows(report))
        indicators = report.tables[0]
        self.stdout.write(f"{found.name} · {report.period_label}")
        for row in indicators.rows:
            shown = [
                cell_show(cell, column.kind) for cell, column in zip(row, indicators.columns, strict=True)
            ]
            advance = shown[3] if shown[3] == SMALL else f"{shown[3]} %"
            self.stdout.write(f"  {shown[0]}: {shown[4]} / {shown[1]} ({advance}, {shown[5]})")
        self.stdout.write(self.style.SUCCESS(f"Written {path} ({format})."))
