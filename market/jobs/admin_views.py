"""Background jobs in the Wagtail admin (Settings → Background jobs), for staff only.

The list shows the live workers, the jobs stuck RUNNING, the jobs FAILED for good and those
waiting for another attempt, each with its attempts, times and the line of its last error; a
POST retries one (`market.jobs.staff.job_retry`). Wagtail's own admin check runs first (the
URLs are registered with `register_admin_urls`); anyone who is not staff then gets 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from market.jobs import staff
from market.jobs.conf import jobs_conf


def require_staff(user) -> None:
    """404 for anyone else (a Market Builder has the admin, not this page), as in cms.admin_views."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise Http404


class JobListView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "market/admin/jobs.html"
    header_icon = "cogs"

    def dispatch(self, request, *args, **kwargs):
        require_staff(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Background jobs")

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": _("Background jobs")}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context.update(
            workers=staff.workers(now),
            waiting=staff.waiting_too_long(now),
            stuck=staff.stuck_jobs(now),
            failed=staff.failed_jobs(now),
            retrying=staff.retrying_jobs(now),
            conf=jobs_conf(),
        )
        return context


@require_POST
def job_retry(request, task_id):
    require_staff(request.user)
    try:
        task = staff.job_retry(task_id, by=request.user)
    except staff.JobRetryError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The job %(name)s is queued again.") % {"name": task.task_path.rsplit(".", 1)[-1]}
        )
    return redirect(reverse("market_jobs"))
