"""Rating pages: an engineer rates themselves, a manager validates, HR searches and imports.

Every row form works as a plain POST that redirects back, and with htmx as an in-place swap of the
row (``request.htmx``): the view then answers with the row partial, status 400 when the input was
refused. Unknown and other organisations' ids are the same 404.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import zip_longest
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from skills.forms.ratings import (
    CriterionForm,
    ProfileSkillForm,
    RatingsImportForm,
    SelfRatingForm,
    ValidationForm,
)
from skills.hooks import (
    MySkillsNotice,
    my_skills_extras,
    my_skills_notices,
    people_search_extras,
)
from skills.imports import ratings_import_start
from skills.models import RatingSource, Skill
from skills.selectors import ratings as selectors
from skills.selectors.framework import scale_levels, skill_get, skill_list
from skills.services import ratings as services
from skillsmap.core.tabular import MAX_BYTES, TableError
from teams.models import Person

MAX_CRITERIA = 3
# People search shows at most this many results (the selector's default limit).
MAX_RESULTS = 200
# The limit that returns every match, for the extras of the layers above to narrow.
SEARCH_EVERYONE = 2**31
SELF_ROW_TEMPLATE = "skills/ratings/_self_rating_row.html"


def _level_values(tenant: Tenant) -> list[int]:
    return [level.value for level in scale_levels(organisation=tenant.organisation)]


# --- The self-rating page ------------------------------------------------------------------------


def _self_page(
    request: HttpRequest,
    tenant: Tenant,
    person: Person,
    *,
    error_skill_id: int | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    organisation = tenant.organisation
    show = request.GET.get("show", "")
    show = show if show in selectors.SHOW_CHOICES else selectors.SHOW_ALL
    all_groups = selectors.self_rating_rows(organisation=organisation, person=person)
    rows = [r for g in all_groups for r in g.rows]
    # The layers above build on the levels the rows have read, rather than reading them again.
    extras = my_skills_extras(
        organisation=organisation,
        person=person,
        levels={r.skill.pk: r.effective for r in rows if r.rated},
        skills={r.skill.pk: r.skill for r in rows},
    )
    groups = selectors.self_rating_rows_shown(
        all_groups, per_skill=extras.per_skill if extras else {}, show=show
    )
    # What "Mark as reviewed" would confirm, counted from the rows already loaded (no query).
    current = [r for r in rows if r.rated and not r.skill.is_archived]
    return render(
        request,
        "skills/ratings/self_rating.html",
        {
            "tenant": tenant,
            "person": person,
            "groups": groups,
            "extras": extras,
            "notices": my_skills_notices(organisation=organisation, person=person),
            "show": show,
            "show_choices": selectors.SHOW_CHOICES,
            "current_ratings": len(current),
            "stale_ratings": sum(1 for r in current if r.effective.stale),
            "error_skill_id": error_skill_id,
            "error": error,
        },
        status=status,
    )


def _row(
    request: HttpRequest,
    tenant: Tenant,
    person: Person,
    skill: Skill,
    *,
    template: str,
    error: str = "",
    saved: bool = False,
    status: int = 200,
) -> HttpResponse:
    """One skill's row, re-rendered after an htmx save (self-rating and validation alike)."""
    row = selectors.self_rating_row(organisation=tenant.organisation, person=person, skill=skill)
    extras = None
    notices: list[MySkillsNotice] = []
    if template == SELF_ROW_TEMPLATE:
        # The re-rendered row keeps its role targets, which the save may have met.
        extras = my_skills_extras(
            organisation=tenant.organisation,
            person=person,
            levels={skill.pk: row.effective} if row.rated else {},
            skills={skill.pk: row.skill},
            panel=False,
        )
        row = replace(row, extra=extras.per_skill.get(skill.pk) if extras else None)
        # The notices above the skills (a campaign's "1 of 3 rated") follow the save, out of band.
        notices = my_skills_notices(organisation=tenant.organisation, person=person)
    return render(
        request,
        template,
        {
            "tenant": tenant,
            "person": person,
            "row": row,
            "extras": extras,
            "notices": notices,
            "error_skill_id": skill.pk if error else None,
            "error": error,
            "saved": saved,
            "oob_status": True,
        },
        status=status,
    )


def _self_row(
    request: HttpRequest, tenant: Tenant, person: Person, skill: Skill, **kwargs: Any
) -> HttpResponse:
    return _row(request, tenant, person, skill, template=SELF_ROW_TEMPLATE, **kwargs)


@org_view(Perm.RATINGS_RATE_SELF)
def self_rating(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    person = selectors.person_for_user(organisation=tenant.organisation, user=request.user)
    return _self_page(request, tenant, person)


@org_view(Perm.RATINGS_RATE_SELF)
@require_POST
def self_rating_save(
    request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    person = selectors.person_for_user(organisation=organisation, user=request.user)
    skill = skill_get(organisation=organisation, skill_id=skill_id)
    form = SelfRatingForm(request.POST, levels=_level_values(tenant))
    error = ""
    if form.is_valid():
        try:
            services.rating_set(
                organisation=organisation,
                person=person,
                skill=skill,
                level=form.cleaned_data["level"],
                not_applicable=form.cleaned_data["not_applicable"],
                interest=form.cleaned_data["interest"],
                note=form.cleaned_data["note"],
                evidence_url=form.cleaned_data["evidence_url"],
                source=RatingSource.SELF,
                by=request.user,
            )
        except services.RatingError as exc:
            error = str(exc)
    else:
        # An ErrorList yields its messages as strings; the stubs also allow ValidationErrors.
        error = " ".join(e for errors in form.errors.values() for e in cast("list[str]", errors))
    if error:
        if request.htmx:
            return _self_row(request, tenant, person, skill, error=error, status=400)
        messages.error(request, f"{skill.name}: {error}")
        return _self_page(request, tenant, person, error_skill_id=skill.pk, error=error, status=400)
    if request.htmx:
        return _self_row(request, tenant, person, skill, saved=True)
    messages.success(request, f"Saved your rating of {skill.name}.")
    url = reverse("skills:self_rating", kwargs={"org_slug": organisation.slug})
    return redirect(f"{url}#skill-{skill.pk}")


@org_view(Perm.RATINGS_RATE_SELF)
def self_rating_add(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """GET: search the framework for skills to add; POST: add one to the caller's profile."""
    organisation = tenant.organisation
    person = selectors.person_for_user(organisation=organisation, user=request.user)
    form = ProfileSkillForm(request.POST or None, skills=skill_list(organisation=organisation))
    if request.method == "POST" and form.is_valid():
        skill = form.cleaned_data["skill"]
        try:
            services.profile_skill_add(
                organisation=organisation, person=person, skill=skill, by=request.user
            )
        except services.RatingError as exc:
            form.add_error("skill", str(exc))
        else:
            messages.success(request, f"{skill.name} is on your profile; rate it below.")
            url = reverse("skills:self_rating", kwargs={"org_slug": organisation.slug})
            return redirect(f"{url}#skill-{skill.pk}")
    q = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "skills/ratings/self_rating_add.html",
        {
            "tenant": tenant,
            "q": q,
            "results": selectors.skill_search(organisation=organisation, q=q) if q else [],
            "on_profile": selectors.profile_skill_ids(organisation=organisation, person=person),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@org_view(Perm.RATINGS_RATE_SELF)
@require_POST
def self_rating_remove(
    request: AuthenticatedHttpRequest, tenant: Tenant, skill_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    person = selectors.person_for_user(organisation=organisation, user=request.user)
    skill = skill_get(organisation=organisation, skill_id=skill_id)
    try:
        services.profile_skill_remove(
            organisation=organisation, person=person, skill=skill, by=request.user
        )
        messages.success(request, f"{skill.name} was taken off your profile.")
    except services.RatingError as exc:
        messages.error(request, str(exc))
    return redirect("skills:self_rating", org_slug=organisation.slug)


@org_view(Perm.RATINGS_RATE_SELF)
@require_POST
def self_rating_review(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """Confirm every current rating as it stands ("Mark as reviewed", #16), in one POST."""
    organisation = tenant.organisation
    person = selectors.person_for_user(organisation=organisation, user=request.user)
    try:
        reviews = services.ratings_mark_reviewed(
            organisation=organisation, person=person, by=request.user
        )
    except services.RatingError as exc:
        messages.error(request, str(exc))
    else:
        count = len(reviews)
        messages.success(
            request,
            f"{count} rating{'' if count == 1 else 's'} confirmed. "
            f"They count as current for another {organisation.review_period_days} days.",
        )
    return redirect("skills:self_rating", org_slug=organisation.slug)


# --- Manager validation --------------------------------------------------------------------------


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def validation(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    summaries = selectors.validation_summaries(
        organisation=tenant.organisation, membership=tenant.membership
    )
    return render(
        request, "skills/ratings/validation.html", {"tenant": tenant, "summaries": summaries}
    )


def _validation_row(
    request: HttpRequest, tenant: Tenant, person: Person, skill: Skill, **kwargs: Any
) -> HttpResponse:
    return _row(
        request, tenant, person, skill, template="skills/ratings/_validation_row.html", **kwargs
    )


def _validation_page(
    request: HttpRequest,
    tenant: Tenant,
    person: Person,
    *,
    error_skill_id: int | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    rows = selectors.validation_rows(organisation=tenant.organisation, person=person)
    return render(
        request,
        "skills/ratings/validation_person.html",
        {
            "tenant": tenant,
            "person": person,
            "rows": rows,
            "error_skill_id": error_skill_id,
            "error": error,
        },
        status=status,
    )


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def validation_person(request: HttpRequest, tenant: Tenant, person_id: int) -> HttpResponse:
    person = selectors.person_get_validatable(
        organisation=tenant.organisation, membership=tenant.membership, person_id=person_id
    )
    # Resolved before the method check, so that a POST reaching for another organisation's person
    # reads as the same 404 as a GET.
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _validation_page(request, tenant, person)


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
@require_POST
def validation_save(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int, skill_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    person = selectors.person_get_validatable(
        organisation=organisation, membership=tenant.membership, person_id=person_id
    )
    skill = skill_get(organisation=organisation, skill_id=skill_id)
    form = ValidationForm(request.POST, levels=_level_values(tenant))
    error = ""
    if form.is_valid():
        try:
            services.rating_validate(
                organisation=organisation,
                person=person,
                skill=skill,
                level=form.cleaned_data["level"],
                not_applicable=form.cleaned_data["not_applicable"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except services.RatingError as exc:
            error = str(exc)
    else:
        # An ErrorList yields its messages as strings; the stubs also allow ValidationErrors.
        error = " ".join(e for errors in form.errors.values() for e in cast("list[str]", errors))
    if error:
        if request.htmx:
            return _validation_row(request, tenant, person, skill, error=error, status=400)
        messages.error(request, f"{skill.name}: {error}")
        return _validation_page(
            request, tenant, person, error_skill_id=skill.pk, error=error, status=400
        )
    if request.htmx:
        return _validation_row(request, tenant, person, skill, saved=True)
    messages.success(request, f"Saved your validation of {person.name} in {skill.name}.")
    url = reverse(
        "skills:validation_person", kwargs={"org_slug": organisation.slug, "person_id": person.pk}
    )
    return redirect(f"{url}#skill-{skill.pk}")


# --- People search -------------------------------------------------------------------------------


@org_view(Perm.RATINGS_VALIDATE_REPORTS)
def people_search(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Up to three ``skill=<id>&min=<level>`` criteria, combined with AND."""
    organisation = tenant.organisation
    skills = selectors.search_skill_choices(organisation=organisation)
    # A minimum of the scale's lowest level would match everyone, so it is not offered.
    levels = _level_values(tenant)[1:]
    default_min = str(levels[0]) if levels else ""
    pairs = zip_longest(request.GET.getlist("skill"), request.GET.getlist("min"), fillvalue="")
    used = [(i, s, m) for i, (s, m) in enumerate(pairs) if s.strip()][:MAX_CRITERIA]
    forms = [
        CriterionForm({"skill": s, "min": m or default_min}, skills=skills, levels=levels)
        for _, s, m in used
    ]
    valid = all(f.is_valid() for f in forms)
    criteria = [(f.cleaned_data["skill"], f.cleaned_data["min"]) for f in forms] if valid else []
    # The layers above (endorsements) narrow the whole result, not its first page: the selector
    # returns every match (it holds them all in memory anyway) and the page keeps the first
    # MAX_RESULTS of those the extras keep.
    everyone, _ = selectors.people_search(
        organisation=organisation,
        membership=tenant.membership,
        criteria=criteria,
        limit=SEARCH_EVERYONE,
    )
    extras = people_search_extras(
        organisation=organisation,
        params=request.GET,
        positions=[i for i, _, _ in used],
        slots=MAX_CRITERIA,
        criteria=criteria,
        person_ids=[r.person.pk for r in everyone],
    )
    valid = valid and (extras is None or extras.valid)
    keep = extras.keep if extras else None
    kept = [r for r in everyone if keep is None or r.person.pk in keep]
    results, count = (kept[:MAX_RESULTS], len(kept)) if valid else ([], 0)
    rows = [*forms, *[None] * (MAX_CRITERIA - len(forms))]
    extra_fields = list(extras.fields) if extras else []
    criterion_rows = list(zip_longest(rows, extra_fields[:MAX_CRITERIA]))
    per_person = extras.per_person if extras else {}
    result_rows = [(result, per_person.get(result.person.pk)) for result in results]
    return render(
        request,
        "skills/ratings/people_search.html",
        {
            "tenant": tenant,
            "rows": rows,
            "criterion_rows": criterion_rows,
            "extras": extras,
            "skills": list(skills),
            "levels": levels,
            "criteria": criteria if valid else [],
            "results": results,
            "result_rows": result_rows,
            "count": count,
            "searched": bool(forms),
        },
        status=200 if valid else 400,
    )


# --- Ratings import ------------------------------------------------------------------------------


@org_view(Perm.RATINGS_IMPORT)
def ratings_import(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    organisation = tenant.organisation
    form = RatingsImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = ratings_import_start(
                organisation=organisation,
                by=request.user,
                filename=upload.name or "upload",
                # One byte over the limit is enough for the reader to refuse it as too large.
                data=upload.read(MAX_BYTES + 1),
            )
        except TableError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("reports:job_detail", org_slug=organisation.slug, job_id=job.pk)
    return render(
        request,
        "skills/ratings/ratings_import.html",
        {"tenant": tenant, "form": form},
        status=400 if form.errors else 200,
    )


# --- A person's rating history -------------------------------------------------------------------


@org_view(Perm.RATINGS_RATE_SELF)
def rating_history(
    request: HttpRequest, tenant: Tenant, person_id: int, skill_id: int
) -> HttpResponse:
    organisation = tenant.organisation
    person = selectors.person_get_visible(
        organisation=organisation, membership=tenant.membership, person_id=person_id
    )
    skill = skill_get(organisation=organisation, skill_id=skill_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    events = selectors.rating_history(organisation=organisation, person=person, skill=skill)
    effective = selectors.effective_levels(
        organisation=organisation, person_ids=[person.pk], skill_ids=[skill.pk]
    ).get((person.pk, skill.pk))
    return render(
        request,
        "skills/ratings/rating_history.html",
        {
            "tenant": tenant,
            "person": person,
            "skill": skill,
            "events": events,
            "effective": effective,
            "is_self": person.user_id == request.user.pk,
        },
    )
