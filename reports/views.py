from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.views_base import Tenant, org_view
from reports.jobs import job_progress
from reports.selectors import job_get_for


@org_view()
def job_detail(request: HttpRequest, tenant: Tenant, job_id: int) -> HttpResponse:
    """An import's or export's progress; htmx polls the partial, and without JavaScript the page
    refreshes itself until the job ends."""
    job = job_get_for(
        organisation=tenant.organisation, job_id=job_id, tenant=tenant, user=request.user
    )
    done, total = job_progress(job=job)
    context = {"tenant": tenant, "job": job, "done": done, "total": total}
    template = "reports/_job_status.html" if request.htmx else "reports/job_detail.html"
    return render(request, template, context)
