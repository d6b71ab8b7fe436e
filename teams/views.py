"""People pages: the directory, a person's page, adding and editing people, and the import.

Thin: ``org_view`` resolves the organisation and checks the role, a selector fetches through the
organisation (another organisation's id is a 404 like a missing one), a form validates, one service
writes.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from skillsmap.core.errors import ServiceError, form_add_service_error
from skillsmap.core.tabular import MAX_BYTES, TableError
from teams import selectors, services
from teams.forms import (
    PeopleImportForm,
    PersonFilterForm,
    PersonForm,
    TeamForm,
    person_form_initial,
)
from teams.hierarchy import teams_visible_to
from teams.imports import COLUMNS, TEMPLATE_ROWS

PEOPLE_PER_PAGE = 50


@org_view(Perm.PEOPLE_VIEW)
def person_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    filter_form = PersonFilterForm(request.GET, organisation=tenant.organisation)
    filter_form.is_valid()  # invalid filters are dropped by filters() and shown with their error
    page = selectors.person_directory_page(
        organisation=tenant.organisation,
        page=request.GET.get("page"),
        per_page=PEOPLE_PER_PAGE,
        **filter_form.filters(),
    )
    context = {"tenant": tenant, "filter_form": filter_form, "page": page}
    return render(request, "teams/person_list.html", context)


@org_view(Perm.PEOPLE_VIEW)
def person_detail(request: HttpRequest, tenant: Tenant, person_id: int) -> HttpResponse:
    person = selectors.person_get(organisation=tenant.organisation, person_id=person_id)
    return render(request, "teams/person_detail.html", {"tenant": tenant, "person": person})


@org_view(Perm.PEOPLE_MANAGE)
def person_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = PersonForm(
        request.POST if request.method == "POST" else None, organisation=tenant.organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_create(
                organisation=tenant.organisation, by=request.user, **form.cleaned_data
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, f"{person.name} was added.")
            return redirect(
                "teams:person_detail", org_slug=tenant.organisation.slug, person_id=person.pk
            )
    return render(
        request,
        "teams/person_form.html",
        {"tenant": tenant, "form": form, "person": None},
        status=400 if form.errors else 200,
    )


@org_view(Perm.PEOPLE_MANAGE)
def person_update(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int
) -> HttpResponse:
    person = selectors.person_get(organisation=tenant.organisation, person_id=person_id)
    form = PersonForm(
        request.POST if request.method == "POST" else None,
        organisation=tenant.organisation,
        person=person,
        initial=person_form_initial(person),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(person=person, by=request.user, **form.cleaned_data)
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, f"{person.name} was saved.")
            return redirect(
                "teams:person_detail", org_slug=tenant.organisation.slug, person_id=person.pk
            )
    return render(
        request,
        "teams/person_form.html",
        {"tenant": tenant, "form": form, "person": person},
        status=400 if form.errors else 200,
    )


@org_view(Perm.PEOPLE_MANAGE)
def people_import(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    is_post = request.method == "POST"
    form = PeopleImportForm(request.POST, request.FILES) if is_post else PeopleImportForm()
    if is_post and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.people_import_start(
                organisation=tenant.organisation,
                by=request.user,
                filename=upload.name or "upload",
                # One byte over the limit is enough for the reader to refuse it as too large.
                data=upload.read(MAX_BYTES + 1),
            )
        except TableError as error:
            form.add_error("file", str(error))
        else:
            return redirect("reports:job_detail", org_slug=tenant.organisation.slug, job_id=job.pk)
    context = {
        "tenant": tenant,
        "form": form,
        "columns": COLUMNS,
        "jobs": selectors.people_import_list(organisation=tenant.organisation),
    }
    return render(request, "teams/people_import.html", context, status=400 if form.errors else 200)


@org_view(Perm.PEOPLE_MANAGE)
def people_import_template(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-import-template.csv"'
    csv.writer(response).writerows(TEMPLATE_ROWS)
    return response


@org_view(Perm.PEOPLE_VIEW)
def team_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    teams = list(selectors.team_overview(organisation=organisation))
    scope = teams_visible_to(organisation=organisation, membership=tenant.membership)
    matrix_ids = {t.pk for t in teams if scope.includes(t.pk)}
    form = TeamForm(organisation=organisation) if tenant.can(Perm.PEOPLE_MANAGE) else None
    return render(
        request,
        "teams/team_list.html",
        {"tenant": tenant, "teams": teams, "matrix_ids": matrix_ids, "form": form},
    )


@org_view(Perm.PEOPLE_MANAGE)
def team_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = TeamForm(request.POST or None, organisation=tenant.organisation)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                organisation=tenant.organisation, by=request.user, **form.cleaned_data
            )
            messages.success(request, f"Team “{team.name}” created. Add its managers next.")
            return redirect("teams:team_update", org_slug=tenant.organisation.slug, team_id=team.pk)
        except ServiceError as error:
            form_add_service_error(form, error)
    return render(
        request, "teams/team_form.html", {"tenant": tenant, "form": form, "team": None},
        status=400 if form.errors else 200,
    )  # fmt: skip


@org_view(Perm.PEOPLE_MANAGE)
def team_update(request: AuthenticatedHttpRequest, tenant: Tenant, team_id: int) -> HttpResponse:
    organisation = tenant.organisation
    team = selectors.team_get(organisation=organisation, team_id=team_id)
    initial = {
        "name": team.name,
        "parent": team.parent_id,
        "managers": selectors.team_manager_ids(organisation=organisation, team=team),
    }
    form = TeamForm(request.POST or None, organisation=organisation, team=team, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, by=request.user, **form.cleaned_data)
            messages.success(request, f"Team “{team.name}” saved.")
            return redirect("teams:team_list", org_slug=organisation.slug)
        except ServiceError as error:
            form_add_service_error(form, error)
    return render(
        request, "teams/team_form.html", {"tenant": tenant, "form": form, "team": team},
        status=400 if form.errors else 200,
    )  # fmt: skip
