"""The cooperative's statement (managers only): a page, or the same figures as CSV."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from cooperatives.permissions import workspace_membership
from market.spreadsheets import csv_download
from orders.forms import StatementPeriodForm
from orders.statements import month_bounds, statement_build, statement_csv


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
        period = month_bounds(timezone.localdate())
    result = statement_build(cooperative=membership.cooperative, start=period[0], end=period[1])
    if request.GET.get("format") == "csv" and status == 200:
        filename, header, rows = statement_csv(result)
        response, writer = csv_download(filename)
        writer.writerow(header)
        writer.writerows(rows)
        return response
    return render(
        request,
        "orders/statement.html",
        {"cooperative": membership.cooperative, "statement": result, "form": form},
        status=status,
    )
