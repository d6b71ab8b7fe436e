"""Role profiles: what each role asks, who holds it, and the two starting points we ship."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.services import ServiceError
from accounts.views_base import Tenant, org_view
from skills.forms.roles import AssignmentForm, OccupationForm, RequirementForm, RoleProfileForm
from skills.models import LibraryOccupation, Skill
from skills.selectors import roles as selectors
from skills.services import roles as services
from skills.services.roles import ONET_MAPPING_NOTE
from teams.models import Person


def _skills(tenant: Tenant) -> QuerySet[Skill]:
    return Skill.objects.filter(organisation=tenant.organisation, is_archived=False).order_by(
        "name"
    )


def _people(tenant: Tenant) -> QuerySet[Person]:
    return Person.objects.filter(organisation=tenant.organisation, is_active=True).order_by("name")


@org_view(Perm.FRAMEWORK_VIEW)
def role_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(
        request,
        "skills/roles/role_list.html",
        {
            "tenant": tenant,
            "roles": selectors.role_list(organisation=tenant.organisation),
            "form": RoleProfileForm(),
        },
    )


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = RoleProfileForm(request.POST)
    if form.is_valid():
        try:
            role = services.role_profile_create(
                organisation=tenant.organisation, by=request.user, **form.cleaned_data
            )
            return redirect(
                "skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk
            )
        except ServiceError as error:
            form.add_error("name", str(error))
    return render(
        request,
        "skills/roles/role_list.html",
        {
            "tenant": tenant,
            "roles": selectors.role_list(organisation=tenant.organisation),
            "form": form,
        },
        status=400,
    )


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_install_backend_engineer(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    role = services.role_profile_install_backend_engineer(
        organisation=tenant.organisation, by=request.user
    )
    messages.success(request, f"“{role.name}” is ready; adjust its targets to your organisation.")
    return redirect("skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.FRAMEWORK_MANAGE)
def role_from_onet(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = OccupationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        occupation = LibraryOccupation.objects.filter(code=form.cleaned_data["code"]).first()
        if occupation is None:
            form.add_error("code", "Select an occupation from the list.")
        else:
            try:
                role = services.role_profile_from_occupation(
                    organisation=tenant.organisation,
                    occupation=occupation,
                    by=request.user,
                    name=form.cleaned_data["name"],
                )
                messages.success(request, f"“{role.name}” was built from O*NET {occupation.code}.")
                return redirect(
                    "skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk
                )
            except ServiceError as error:
                form.add_error(None, str(error))
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "skills/roles/role_from_onet.html",
        {
            "tenant": tenant,
            "form": form,
            "q": q,
            "occupations": selectors.occupation_search(q=q),
            "mapping_note": ONET_MAPPING_NOTE,
        },
        status=400 if form.errors else 200,
    )


def _detail(
    request: HttpRequest,
    tenant: Tenant,
    role_id: int,
    requirement_form: RequirementForm | None = None,
    assignment_form: AssignmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = tenant.organisation
    role = selectors.role_get(organisation=organisation, role_id=role_id)
    return render(
        request,
        "skills/roles/role_detail.html",
        {
            "tenant": tenant,
            "role": role,
            "requirements": selectors.role_requirements(organisation=organisation, role=role),
            "holders": selectors.role_holders(organisation=organisation, role=role),
            "requirement_form": requirement_form or RequirementForm(skills=_skills(tenant)),
            "assignment_form": assignment_form or AssignmentForm(people=_people(tenant)),
            "can_manage": tenant.can(Perm.FRAMEWORK_MANAGE),
            "can_assign": tenant.can(Perm.PEOPLE_MANAGE),
        },
        status=status,
    )


@org_view(Perm.FRAMEWORK_VIEW)
def role_detail(request: HttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    return _detail(request, tenant, role_id)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_requirement_set(request: HttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    form = RequirementForm(request.POST, skills=_skills(tenant))
    if not form.is_valid():
        return _detail(request, tenant, role_id, requirement_form=form, status=400)
    services.role_requirement_set(role=role, by=request.user, **form.cleaned_data)
    messages.success(
        request, f"{form.cleaned_data['skill'].name}: target {form.cleaned_data['target_level']}."
    )
    return redirect("skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_requirement_remove(
    request: HttpRequest, tenant: Tenant, role_id: int, skill_id: int
) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    requirement = selectors.role_requirement_get(
        organisation=tenant.organisation, role=role, skill_id=skill_id
    )
    services.role_requirement_remove(requirement=requirement, by=request.user)
    messages.success(request, f"{requirement.skill.name} is no longer required.")
    return redirect("skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.PEOPLE_MANAGE)
@require_POST
def role_assign(request: HttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    form = AssignmentForm(request.POST, people=_people(tenant))
    if not form.is_valid():
        return _detail(request, tenant, role_id, assignment_form=form, status=400)
    person, kind = form.cleaned_data["person"], form.cleaned_data["kind"]
    services.role_assign(
        organisation=tenant.organisation, person=person, role=role, kind=kind, by=request.user
    )
    messages.success(request, f"{person.name} now has {role.name} as their {kind} role.")
    return redirect("skills:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


urlpatterns = [
    path("roles/", role_list, name="role_list"),
    path("roles/new/", role_create, name="role_create"),
    path(
        "roles/backend-engineer/",
        role_install_backend_engineer,
        name="role_install_backend_engineer",
    ),
    path("roles/from-onet/", role_from_onet, name="role_from_onet"),
    path("roles/<int:role_id>/", role_detail, name="role_detail"),
    path("roles/<int:role_id>/requirements/", role_requirement_set, name="role_requirement_set"),
    path(
        "roles/<int:role_id>/requirements/<int:skill_id>/remove/",
        role_requirement_remove,
        name="role_requirement_remove",
    ),
    path("roles/<int:role_id>/assign/", role_assign, name="role_assign"),
]
