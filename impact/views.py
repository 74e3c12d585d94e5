"""Programme reports for staff and the programme's viewers: the page and its exports.

Every view starts with `viewer_programme` (404 for a programme she may not read). Figures
only: no person's name, no buyer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from impact import exports
from impact.forms import ReportFilterForm
from impact.models import Programme
from impact.permissions import viewer_programme
from impact.report import covered_cooperatives, programme_markets, programme_report
from market.spreadsheets import csv_download


@login_required
def programme_list(request):
    programmes = Programme.objects.visible_to(request.user)
    if not programmes.exists():
        raise Http404
    return render(request, "impact/programme_list.html", {"programmes": programmes})


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
