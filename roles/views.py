"""Role profiles: what each role asks, who holds it, and the two starting points we ship."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from roles import selectors, services
from roles.forms import AssignmentForm, OccupationForm, RequirementForm, RoleProfileForm
from roles.models import RoleAssignment
from roles.services import ONET_MAPPING_NOTE
from skills.models import Skill
from skills.selectors.framework import scale_bounds, skills_active
from skills.selectors.ratings import people_visible_to, person_for_user
from skillsmap.core.errors import ServiceError, form_add_service_error
from teams.models import Person
from teams.selectors import person_choices


def _skills(tenant: Tenant) -> QuerySet[Skill]:
    return skills_active(organisation=tenant.organisation)


def _scale(tenant: Tenant) -> tuple[int, int]:
    return scale_bounds(organisation=tenant.organisation)


def _people(tenant: Tenant) -> QuerySet[Person]:
    # The options name each person's teams (``PersonChoiceField``): one query for all of them.
    return person_choices(organisation=tenant.organisation, active_only=True, with_teams=True)


@org_view(Perm.FRAMEWORK_VIEW)
def role_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(
        request,
        "roles/role_list.html",
        {
            "tenant": tenant,
            "roles": selectors.role_list(organisation=tenant.organisation),
            "form": RoleProfileForm(),
        },
    )


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = RoleProfileForm(request.POST)
    if form.is_valid():
        try:
            role = services.role_profile_create(
                organisation=tenant.organisation, by=request.user, **form.cleaned_data
            )
            return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)
        except ServiceError as error:
            form.add_error("name", str(error))
    return render(
        request,
        "roles/role_list.html",
        {
            "tenant": tenant,
            "roles": selectors.role_list(organisation=tenant.organisation),
            "form": form,
        },
        status=400,
    )


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_install_backend_engineer(
    request: AuthenticatedHttpRequest, tenant: Tenant
) -> HttpResponse:
    role = services.role_profile_install_backend_engineer(
        organisation=tenant.organisation, by=request.user
    )
    messages.success(request, f"“{role.name}” is ready; adjust its targets to your organisation.")
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


def _names(skills: list[Skill]) -> str:
    return ", ".join(skill.name for skill in skills)


@org_view(Perm.FRAMEWORK_MANAGE)
def role_from_onet(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = OccupationForm(request.POST or None, scale=_scale(tenant))
    if request.method == "POST" and form.is_valid():
        occupation = selectors.occupation_get(code=form.cleaned_data["code"])
        if occupation is None:
            form.add_error("code", "Select an occupation from the list.")
        else:
            try:
                built = services.role_profile_from_occupation(
                    organisation=tenant.organisation,
                    occupation=occupation,
                    by=request.user,
                    name=form.cleaned_data["name"],
                    technology_target=form.cleaned_data["technology_target"],
                )
                message = f"“{built.role.name}” was built from O*NET {occupation.code}."
                if built.adopted:
                    message += (
                        f" {len(built.adopted)} skills were added to your framework for it: "
                        f"{_names(built.adopted)}."
                    )
                else:
                    message += " Every skill it requires was already in your framework."
                messages.success(request, message)
                return redirect(
                    "roles:role_detail", org_slug=tenant.organisation.slug, role_id=built.role.pk
                )
            except ServiceError as error:
                form_add_service_error(form, error)
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "roles/role_from_onet.html",
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
    edit_form: RoleProfileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = tenant.organisation
    role = selectors.role_get(organisation=organisation, role_id=role_id)
    holders = selectors.role_holders(organisation=organisation, role=role)
    return render(
        request,
        "roles/role_detail.html",
        {
            "tenant": tenant,
            "role": role,
            "requirements": selectors.role_requirements(organisation=organisation, role=role),
            "holders": holders,
            # Readiness links only to the people whose readiness the caller may open; anyone else's
            # is a 404 there.
            "readable": people_visible_to(organisation=organisation, membership=tenant.membership),
            "edit_form": edit_form
            or RoleProfileForm(initial={"name": role.name, "description": role.description}),
            "current_holders": sum(1 for a in holders if a.kind == RoleAssignment.Kind.CURRENT),
            "target_holders": sum(1 for a in holders if a.kind == RoleAssignment.Kind.TARGET),
            "requirement_form": requirement_form
            or RequirementForm(skills=_skills(tenant), scale=_scale(tenant)),
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
def role_update(request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    form = RoleProfileForm(request.POST)
    if not form.is_valid():
        return _detail(request, tenant, role_id, edit_form=form, status=400)
    try:
        services.role_profile_update(role=role, by=request.user, **form.cleaned_data)
    except ServiceError as error:
        form_add_service_error(form, error, field="name")
        return _detail(request, tenant, role_id, edit_form=form, status=400)
    messages.success(request, f"Saved “{role.name}”.")
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_copy(request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    copy = services.role_profile_copy(role=role, by=request.user)
    messages.success(
        request, f"“{copy.name}” has the requirements of “{role.name}” and nobody assigned yet."
    )
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=copy.pk)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_delete(request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    name = role.name
    ended = services.role_profile_delete(role=role, by=request.user)
    messages.success(
        request,
        f"“{name}” was deleted; {ended} {'person' if ended == 1 else 'people'} no longer "
        "hold it as their current or target role.",
    )
    return redirect("roles:role_list", org_slug=tenant.organisation.slug)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_requirement_set(
    request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int
) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    form = RequirementForm(request.POST, skills=_skills(tenant), scale=_scale(tenant))
    if not form.is_valid():
        return _detail(request, tenant, role_id, requirement_form=form, status=400)
    try:
        services.role_requirement_set(role=role, by=request.user, **form.cleaned_data)
    except ServiceError as error:
        form_add_service_error(form, error)
        return _detail(request, tenant, role_id, requirement_form=form, status=400)
    messages.success(
        request, f"{form.cleaned_data['skill'].name}: target {form.cleaned_data['target_level']}."
    )
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def role_requirement_remove(
    request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int, skill_id: int
) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    requirement = selectors.role_requirement_get(
        organisation=tenant.organisation, role=role, skill_id=skill_id
    )
    services.role_requirement_remove(requirement=requirement, by=request.user)
    messages.success(request, f"{requirement.skill.name} is no longer required.")
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.PEOPLE_MANAGE)
@require_POST
def role_assign(request: AuthenticatedHttpRequest, tenant: Tenant, role_id: int) -> HttpResponse:
    role = selectors.role_get(organisation=tenant.organisation, role_id=role_id)
    form = AssignmentForm(request.POST, people=_people(tenant))
    if not form.is_valid():
        return _detail(request, tenant, role_id, assignment_form=form, status=400)
    person, kind = form.cleaned_data["person"], form.cleaned_data["kind"]
    try:
        services.role_assign(
            organisation=tenant.organisation, person=person, role=role, kind=kind, by=request.user
        )
    except ServiceError as error:
        form_add_service_error(form, error)
        return _detail(request, tenant, role_id, assignment_form=form, status=400)
    messages.success(request, f"{person.name} now has {role.name} as their {kind} role.")
    return redirect("roles:role_detail", org_slug=tenant.organisation.slug, role_id=role.pk)


@org_view(Perm.RATINGS_RATE_SELF)
@require_POST
def self_rating_add_role_skills(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """The "rate the skills of my role" shortcut."""
    person = person_for_user(organisation=tenant.organisation, user=request.user)
    added = services.profile_skills_add_for_roles(
        organisation=tenant.organisation, person=person, by=request.user
    )
    if added:
        messages.success(request, f"Added {len(added)} skills of your role: rate them below.")
    else:
        messages.info(request, "Every skill your role requires is already on your profile.")
    return redirect("skills:self_rating", org_slug=tenant.organisation.slug)
