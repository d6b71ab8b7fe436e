"""Reads of the reports domain. Each takes the organisation."""

from __future__ import annotations

from django.http import Http404

from accounts.models import Organisation, User
from accounts.permissions import Perm
from accounts.views_base import Tenant
from reports.models import Job


def job_get_for(*, organisation: Organisation, job_id: int, tenant: Tenant, user: User) -> Job:
    """A job its starter may follow; HR and admins see all of them. Anyone else: 404."""
    job = Job.objects.filter(organisation=organisation, pk=job_id).defer("payload").first()
    if job is None or (job.created_by_id != user.pk and not tenant.can(Perm.PEOPLE_MANAGE)):
        raise Http404("No such job.")
    return job
