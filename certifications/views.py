"""Certification pages: a person's certifications (their own as "My certifications"), adding,
editing and deleting one, its evidence download, the expiry list, and HR's import.

Thin: ``org_view`` resolves the organisation, a selector fetches through it and decides whether the
caller may see the person (another organisation's id, and someone the caller may not see, are the
same 404 as a missing one), a form checks shapes, one service writes.
"""

from __future__ import annotations

import csv
from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from certifications import selectors, services
from certifications.evidence import evidence_response
from certifications.forms import CertificationForm, CertificationsImportForm
from certifications.imports import COLUMNS, TEMPLATE_ROWS, certifications_import_start
from certifications.models import Certification, warning_days
from skills.selectors.ratings import person_for_user
from skillsmap.core.errors import ServiceError, form_add_service_error
from skillsmap.core.tabular import MAX_BYTES, TableError
from teams.models import Person


def _is_own(request: AuthenticatedHttpRequest, person: Person) -> bool:
    return person.user_id == request.user.pk


def _list_page(request: AuthenticatedHttpRequest, tenant: Tenant, person: Person) -> HttpResponse:
    certifications = selectors.certification_list(organisation=tenant.organisation, person=person)
    return render(
        request,
        "certifications/certification_list.html",
        {
            "tenant": tenant,
            "person": person,
            "own": _is_own(request, person),
            "certifications": certifications,
            "warning_days": warning_days(),
        },
    )


@org_view()
def my_certifications(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    person = person_for_user(organisation=tenant.organisation, user=request.user)
    return _list_page(request, tenant, person)


@org_view()
def person_certifications(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int
) -> HttpResponse:
    person = selectors.person_get_for_certifications(
        organisation=tenant.organisation, membership=tenant.membership, person_id=person_id
    )
    if _is_own(request, person):
        return redirect("certifications:my_certifications", org_slug=tenant.organisation.slug)
    return _list_page(request, tenant, person)


def _back(tenant: Tenant, request: AuthenticatedHttpRequest, person: Person) -> HttpResponse:
    slug = tenant.organisation.slug
    if _is_own(request, person):
        return redirect("certifications:my_certifications", org_slug=slug)
    return redirect("certifications:person_certifications", org_slug=slug, person_id=person.pk)


def _form_page(
    request: AuthenticatedHttpRequest,
    tenant: Tenant,
    form: CertificationForm,
    *,
    person: Person,
    certification: Certification | None,
) -> HttpResponse:
    return render(
        request,
        "certifications/certification_form.html",
        {
            "tenant": tenant,
            "form": form,
            "person": person,
            "own": _is_own(request, person),
            "certification": certification,
        },
        status=400 if form.errors else 200,
    )


@org_view()
def certification_create(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    person = selectors.person_get_for_certifications(
        organisation=organisation, membership=tenant.membership, person_id=person_id
    )
    is_post = request.method == "POST"
    form = CertificationForm(
        request.POST if is_post else None,
        request.FILES if is_post else None,
        skills=selectors.certification_skill_choices(organisation=organisation),
    )
    if is_post and form.is_valid():
        data = form.cleaned_data
        try:
            certification = services.certification_create(
                organisation=organisation,
                person=person,
                by=request.user,
                name=data["name"],
                issuer=data["issuer"],
                credential_id=data["credential_id"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                evidence_url=data["evidence_url"],
                evidence=data["evidence"],
                skills=list(data["skills"]),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, f"{certification.name} was added.")
            return _back(tenant, request, person)
    return _form_page(request, tenant, form, person=person, certification=None)


@org_view()
def certification_update(
    request: AuthenticatedHttpRequest, tenant: Tenant, certification_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    certification = selectors.certification_get_for(
        organisation=organisation, membership=tenant.membership, certification_id=certification_id
    )
    linked = [link.skill for link in getattr(certification, "skill_list", [])]
    is_post = request.method == "POST"
    form = CertificationForm(
        request.POST if is_post else None,
        request.FILES if is_post else None,
        skills=selectors.certification_skill_choices(
            organisation=organisation, keep=[skill.pk for skill in linked]
        ),
        has_evidence=certification.has_evidence_file,
        initial={
            "name": certification.name,
            "issuer": certification.issuer,
            "credential_id": certification.credential_id,
            "issued_on": certification.issued_on,
            "expires_on": certification.expires_on,
            "evidence_url": certification.evidence_url,
            "skills": [skill.pk for skill in linked],
        },
    )
    if is_post and form.is_valid():
        data = form.cleaned_data
        try:
            services.certification_update(
                certification=certification,
                by=request.user,
                name=data["name"],
                issuer=data["issuer"],
                credential_id=data["credential_id"],
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                evidence_url=data["evidence_url"],
                evidence=data["evidence"],
                remove_evidence=bool(data.get("remove_evidence")),
                skills=list(data["skills"]),
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, f"{certification.name} was saved.")
            return _back(tenant, request, certification.person)
    return _form_page(
        request, tenant, form, person=certification.person, certification=certification
    )


@org_view()
@require_POST
def certification_delete(
    request: AuthenticatedHttpRequest, tenant: Tenant, certification_id: int
) -> HttpResponse:
    certification = selectors.certification_get_for(
        organisation=tenant.organisation,
        membership=tenant.membership,
        certification_id=certification_id,
    )
    person, name = certification.person, certification.name
    try:
        services.certification_delete(certification=certification, by=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{name} was deleted.")
    return _back(tenant, request, person)


@org_view()
def certification_evidence(
    request: AuthenticatedHttpRequest, tenant: Tenant, certification_id: int
) -> HttpResponse:
    """The evidence file, streamed from the storage, for whoever may see the certification (the
    person, their managers, HR and admins); anyone else, and a certification without a file, get
    the same 404 as a missing one. Each download is audited."""
    certification = selectors.certification_get_for(
        organisation=tenant.organisation,
        membership=tenant.membership,
        certification_id=certification_id,
    )
    # Checked after the lookup, so a foreign id is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        handle = services.certification_evidence_open(certification=certification, by=request.user)
    except services.EvidenceMissing:
        raise Http404("No such file.") from None
    response = evidence_response(
        handle=handle,
        content_type=certification.evidence_content_type,
        filename=certification.evidence_name,
    )
    # org_view is typed for plain responses; Django serves a streamed one all the same.
    return cast(HttpResponse, response)


@org_view()
def expiry_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    listing = selectors.expiry_list(organisation=tenant.organisation, membership=tenant.membership)
    return render(
        request, "certifications/expiry_list.html", {"tenant": tenant, "listing": listing}
    )


@org_view(Perm.PEOPLE_MANAGE)
def certifications_import(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    is_post = request.method == "POST"
    form = (
        CertificationsImportForm(request.POST, request.FILES)
        if is_post
        else CertificationsImportForm()
    )
    if is_post and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = certifications_import_start(
                organisation=organisation,
                by=request.user,
                filename=upload.name or "upload",
                # One byte over the limit is enough for the reader to refuse it as too large.
                data=upload.read(MAX_BYTES + 1),
            )
        except TableError as error:
            form.add_error("file", str(error))
        else:
            return redirect("reports:job_detail", org_slug=organisation.slug, job_id=job.pk)
    return render(
        request,
        "certifications/certifications_import.html",
        {
            "tenant": tenant,
            "form": form,
            "columns": COLUMNS,
            "jobs": selectors.certifications_import_list(organisation=organisation),
        },
        status=400 if form.errors else 200,
    )


@org_view(Perm.PEOPLE_MANAGE)
def certifications_import_template(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="certifications-import-template.csv"'
    csv.writer(response).writerows(TEMPLATE_ROWS)
    return response
