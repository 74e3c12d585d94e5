"""Programme reports for staff and the programme's viewers: the page and its exports.

Every view starts with `viewer_programme` (404 for a programme she may not read). Figures
only: no person's name, no buyer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cms.markets.permissions import builder_market, builder_markets
from cooperatives.permissions import request_membership
from impact import certificate, exports
from impact.forms import ReportFilterForm
from impact.models import Programme
from impact.permissions import viewer_programme
from impact.report import (
    cooperative_snapshot,
    covered_cooperatives,
    market_snapshot,
    programme_markets,
    programme_report,
)
from market.models import BuyerOrganization
from market.spreadsheets import csv_download


@login_required
def programme_list(request):
    """The programmes she reads (a viewer, staff) and the markets she runs (a Market Builder)."""
    programmes = list(Programme.objects.visible_to(request.user))
    markets = list(builder_markets(request.user).order_by("-opens_at")[:50])
    if not programmes and not markets:
        raise Http404
    return render(request, "impact/programme_list.html", {"programmes": programmes, "markets": markets})


def _report(request, slug):
    programme = viewer_programme(request.user, slug)
    cooperatives = list(covered_cooperatives(programme))
    markets = list(programme_markets([c.pk for c in cooperatives]))
    form = ReportFilterForm(
        request.GET or None, programme=programme, cooperatives=cooperatives, markets=markets
    )
    if form.is_bound and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return form, programme_report(programme, **form.report_arguments())


@login_required
def programme_detail(request, slug):
    form, report = _report(request, slug)
    query = request.GET.urlencode()
    return render(
        request,
        "impact/programme_detail.html",
        {"programme": report.programme, "report": report, "form": form, "query": query},
    )


def _filename(report, ext: str) -> str:
    return f"impacto-{report.programme.slug}-{report.scope.start:%Y-%m}-{report.scope.end:%Y-%m}.{ext}"


@login_required
def programme_csv(request, slug):
    _form, report = _report(request, slug)
    response, writer = csv_download(_filename(report, "csv"))
    writer.writerows(exports.report_csv_rows(report, only=request.GET.get("tabla", "")))
    return response


@login_required
def programme_xlsx(request, slug):
    _form, report = _report(request, slug)
    response = HttpResponse(
        exports.report_xlsx(report),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, "xlsx")}"'
    return response


@login_required
def programme_pdf(request, slug):
    _form, report = _report(request, slug)
    response = HttpResponse(exports.report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return response


def _year(request) -> int:
    """The year asked for (`?anio=2026`), this year when absent or not a year."""
    text = request.GET.get("anio", "")
    this_year = timezone.localdate().year
    return int(text) if text.isdigit() and 2000 <= int(text) <= this_year + 1 else this_year


@login_required
def cooperative_impact(request, slug):
    """A cooperative's own figures, in its workspace: every member reads them."""
    membership = request_membership(request, slug)
    year = _year(request)
    return render(
        request,
        "impact/cooperative_impact.html",
        {
            "membership": membership,
            "cooperative": membership.cooperative,
            "year": year,
            "years": [y for y in (year - 1, year, year + 1) if y <= timezone.localdate().year],
            "snapshot": cooperative_snapshot(membership.cooperative, year=year),
        },
    )


@login_required
def market_impact(request, page_id):
    """One market's figures for the Market Builder who runs it (staff: every market)."""
    event = builder_market(request.user, page_id)
    return render(request, "impact/market_impact.html", {"event": event, "snapshot": market_snapshot(event)})


@login_required
def purchases_certificate(request, organization_pk, year):
    """The yearly certificate of an organisation she orders for; any other is a 404."""
    organization = BuyerOrganization.objects.for_user(request.user).filter(pk=organization_pk).first()
    if organization is None or not 2000 <= year <= timezone.localdate().year:
        raise Http404
    return render(
        request,
        "impact/purchases_certificate.html",
        {
            "certificate": certificate.purchases_certificate(organization=organization, year=year),
            "issued_on": timezone.localdate(),
        },
    )
