"""The skill framework pages: the framework itself, the library and adopting from it, the
organisation's own skills (create, edit, merge, archive), a skill's page with its level
descriptors, and the proficiency scale.

Everyone reads; FRAMEWORK_MANAGE (HR, admins) changes. The search boxes, adopting and archiving
work as plain forms and, with htmx (``request.htmx``), update their part of the page in place:
the view then answers with the partial instead of the page or a redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from skills.forms.framework import (
    AdoptForm,
    ArchiveForm,
    DescriptorsForm,
    FrameworkFilterForm,
    LibrarySearchForm,
    MergeForm,
    ScaleForm,
    SkillForm,
)
from skills.models import Skill
from skills.selectors import framework as selectors
from skills.services import framework as services
from skills.services.scale import scale_update
from skillsmap.core.errors import ServiceError

TEMPLATES = "skills/framework"


def _partial(request: HttpRequest) -> bool:
    """An htmx request for part of the page; a history restore wants the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The page, or only ``partial`` for htmx. Both come from the same URL, so caches must keep
    them apart."""
    as_partial = partial is not None and _partial(request)
    response = render(
        request,
        f"{TEMPLATES}/{partial if as_partial else template}",
        {**context, "oob": as_partial},
        status=status,
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _duplicate_error(tenant: Tenant, form: SkillForm, error: services.DuplicateSkillError) -> None:
    url = reverse(
        "skills:skill_detail",
        kwargs={"org_slug": tenant.organisation.slug, "skill_id": error.existing.pk},
    )
    # format_html escapes the name: it is user input.
    form.add_error(
        error.field if error.field in form.fields else "name",
        format_html('Already in your framework as <a href="{}">{}</a>.', url, error.existing.name),
    )


# --- The framework ------------------------------------------------------------------------------


@org_view(Perm.FRAMEWORK_VIEW)
def framework(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    form = FrameworkFilterForm(
        request.GET, categories=selectors.category_list(organisation=organisation)
    )
    filters = form.filters()
    groups = selectors.framework_groups(organisation=organisation, **filters)
    context = {
        "tenant": tenant,
        "form": form,
        "filters": filters,
        "groups": groups,
        "total": sum(len(group.skills) for group in groups),
        "can_manage": tenant.can(Perm.FRAMEWORK_MANAGE),
    }
    return _render(request, "framework.html", context, partial="_framework_results.html")


@org_view(Perm.FRAMEWORK_VIEW)
def library_about(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render(request, f"{TEMPLATES}/library_about.html", {"tenant": tenant})


# --- The library --------------------------------------------------------------------------------


def _library_context(
    tenant: Tenant,
    filters: dict[str, str],
    page_number: int | str | None,
    ticked: list[int] | None = None,
) -> dict[str, Any]:
    page = selectors.library_search(
        q=filters["q"], kind=filters["kind"], source=filters["source"], page=page_number
    )
    ticked_skills = selectors.library_skill_list(ids=ticked) if ticked else []
    adopted = selectors.library_adopted(
        organisation=tenant.organisation, library_skills=[*page.object_list, *ticked_skills]
    )
    on_page = {skill.pk for skill in page.object_list}
    return {
        "tenant": tenant,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "page": page,
        "adopted": adopted,
        "ticked": {skill.pk for skill in ticked_skills} - adopted,
        # Ticked on an earlier search but not among these results: still ticked, above them.
        "kept": [s for s in ticked_skills if s.pk not in on_page and s.pk not in adopted],
    }


@org_view(Perm.FRAMEWORK_MANAGE)
def library(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = LibrarySearchForm(request.GET)
    context = _library_context(tenant, form.filters(), request.GET.get("page"), form.ticked())
    return _render(
        request, "library.html", {**context, "form": form}, partial="_library_results.html"
    )


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def library_adopt(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    form = AdoptForm(request.POST)
    valid = form.is_valid()
    data = form.cleaned_data
    filters = {key: data.get(key) or "" for key in ("q", "kind", "source")}
    page_number = data.get("page") or 1
    if not valid:
        context = _library_context(tenant, filters, page_number)
        context |= {"form": LibrarySearchForm(filters), "adopt_errors": form.errors}
        return _render(
            request, "library.html", context, partial="_library_results.html", status=400
        )
    result = services.skill_adopt(
        organisation=tenant.organisation,
        library_skills=data["library_skill"],
        by=request.user,
    )
    if _partial(request):
        context = _library_context(tenant, filters, page_number) | {"result": result}
        return _render(request, "library.html", context, partial="_library_results.html")
    if result.adopted:
        names = ", ".join(skill.name for skill in result.adopted)
        messages.success(request, f"Adopted into your framework: {names}.")
    if result.existing:
        names = ", ".join(skill.name for _, skill in result.existing)
        messages.info(request, f"Already in your framework, left as they are: {names}.")
    query = urlencode({k: v for k, v in {**filters, "page": page_number}.items() if v})
    return redirect(
        reverse("skills:library", kwargs={"org_slug": tenant.organisation.slug}) + f"?{query}"
    )


# --- The organisation's own skills --------------------------------------------------------------


def _skill_form_page(
    request: HttpRequest, tenant: Tenant, form: SkillForm, skill: Skill | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"{TEMPLATES}/skill_form.html",
        {"tenant": tenant, "form": form, "skill": skill},
        status=status,
    )


def _skill_fields(form: SkillForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "kind": data["kind"],
        "description": data["description"],
        "category": data["category"],
        "category_name": data["category_name"],
        "aliases": data["aliases"],
    }


@org_view(Perm.FRAMEWORK_MANAGE)
def skill_create(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    form = SkillForm(
        request.POST or None, categories=selectors.category_list(organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            skill = services.skill_create(
                organisation=organisation,
                by=request.user,
                **_skill_fields(form),
            )
        except services.DuplicateSkillError as error:
            _duplicate_error(tenant, form, error)
        except ServiceError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"{skill.name} was added to the framework.")
            return redirect("skills:skill_detail", org_slug=organisation.slug, skill_id=skill.pk)
    return _skill_form_page(request, tenant, form, None, status=400 if form.errors else 200)


@org_view(Perm.FRAMEWORK_MANAGE)
def skill_update(request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int) -> HttpResponse:
    organisation = tenant.organisation
    skill = selectors.skill_get(organisation=organisation, skill_id=skill_id)
    initial = {
        "name": skill.name,
        "kind": skill.kind,
        "category": skill.category_id,
        "description": skill.description,
    }
    form = SkillForm(
        request.POST or None,
        initial=initial,
        categories=selectors.category_list(organisation=organisation),
        current_aliases=skill.aliases,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.skill_update(
                skill=skill,
                by=request.user,
                **_skill_fields(form),
            )
        except services.DuplicateSkillError as error:
            _duplicate_error(tenant, form, error)
        except ServiceError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"{skill.name} was saved.")
            return redirect("skills:skill_detail", org_slug=organisation.slug, skill_id=skill.pk)
    return _skill_form_page(request, tenant, form, skill, status=400 if form.errors else 200)


# --- One skill ----------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    tenant: Tenant,
    skill: Skill,
    *,
    merge_form: MergeForm | None = None,
    descriptors_form: DescriptorsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organisation = tenant.organisation
    rows = selectors.skill_level_rows(organisation=organisation, skill=skill)
    can_manage = tenant.can(Perm.FRAMEWORK_MANAGE)
    context: dict[str, Any] = {
        "tenant": tenant,
        "skill": skill,
        "rows": rows,
        "can_manage": can_manage,
    }
    if can_manage:
        context["merge_form"] = merge_form or MergeForm(
            skills=selectors.merge_targets(organisation=organisation, exclude=skill)
        )
        context["descriptors_form"] = descriptors_form or DescriptorsForm(
            levels=[row.level for row in rows],
            current={row.level.value: row.text for row in rows if row.is_specific},
        )
    return render(request, f"{TEMPLATES}/skill_detail.html", context, status=status)


@org_view(Perm.FRAMEWORK_VIEW)
def skill_detail(request: HttpRequest, tenant: Tenant, skill_id: int) -> HttpResponse:
    skill = selectors.skill_get(organisation=tenant.organisation, skill_id=skill_id)
    return _detail(request, tenant, skill)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def skill_descriptors(
    request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    skill = selectors.skill_get(organisation=organisation, skill_id=skill_id)
    form = DescriptorsForm(request.POST, levels=selectors.scale_levels(organisation=organisation))
    if form.is_valid():
        try:
            changed = services.skill_descriptors_update(
                skill=skill,
                descriptors=form.descriptors(),
                by=request.user,
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            if changed:
                messages.success(request, f"The level descriptors of {skill.name} were saved.")
            else:
                messages.info(request, "Nothing changed.")
            return redirect("skills:skill_detail", org_slug=organisation.slug, skill_id=skill.pk)
    return _detail(request, tenant, skill, descriptors_form=form, status=400)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def skill_merge(request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int) -> HttpResponse:
    organisation = tenant.organisation
    source = selectors.skill_get(organisation=organisation, skill_id=skill_id)
    # The source stays among the choices so that "merge into itself" gets its own message.
    form = MergeForm(request.POST, skills=selectors.merge_targets(organisation=organisation))
    if form.is_valid():
        into = form.cleaned_data["into"]
        try:
            counts = services.skill_merge(source=source, into=into, by=request.user)
        except ServiceError as error:
            form.add_error("into", str(error))
        else:
            messages.success(
                request,
                f"{source.name} was merged into {into.name}: {counts.ratings} rating(s) moved; "
                f"“{source.name}” is now an alias.",
            )
            return redirect("skills:skill_detail", org_slug=organisation.slug, skill_id=into.pk)
    return _detail(request, tenant, source, merge_form=form, status=400)


@org_view(Perm.FRAMEWORK_MANAGE)
@require_POST
def skill_archive(request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int) -> HttpResponse:
    organisation = tenant.organisation
    skill = selectors.skill_get(organisation=organisation, skill_id=skill_id)
    form = ArchiveForm(request.POST)
    error, status = "", 200
    if not form.is_valid():
        error, status = "Choose archive or unarchive.", 400
    else:
        archived = form.cleaned_data["archived"]
        try:
            services.skill_set_archived(skill=skill, archived=archived, by=request.user)
        except ServiceError as exc:
            error, status = str(exc), 400
    notice = error or f"{skill.name} was {'archived' if skill.is_archived else 'unarchived'}."
    if _partial(request):
        row = selectors.framework_row(organisation=organisation, skill_id=skill.pk)
        return _render(
            request,
            "framework.html",
            {"tenant": tenant, "skill": row, "can_manage": True, "notice": notice, "error": error},
            partial="_skill_row.html",
            status=status,
        )
    (messages.error if error else messages.success)(request, notice)
    if form.is_valid() and form.cleaned_data["return_to"] == "framework":
        return redirect("skills:framework", org_slug=organisation.slug)
    return redirect("skills:skill_detail", org_slug=organisation.slug, skill_id=skill.pk)


# --- The scale ----------------------------------------------------------------------------------


@org_view(Perm.FRAMEWORK_VIEW)
def scale(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    if request.method == "POST":
        tenant.require(Perm.FRAMEWORK_MANAGE)
    levels = selectors.scale_levels(organisation=organisation)
    form = ScaleForm(request.POST or None, levels=levels)
    if request.method == "POST" and form.is_valid():
        try:
            scale_update(
                organisation=organisation,
                levels=form.scale(),
                by=request.user,
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The scale was saved.")
            return redirect("skills:scale", org_slug=organisation.slug)
    return render(
        request,
        f"{TEMPLATES}/scale.html",
        {
            "tenant": tenant,
            "levels": levels,
            "form": form,
            "can_manage": tenant.can(Perm.FRAMEWORK_MANAGE),
        },
        status=400 if form.errors else 200,
    )
