"""Endorsement pages: endorse a colleague's skill, withdraw one's endorsement, hide or show one of
one's own.

Every form works as a plain POST that redirects back to the person's page, and with htmx as an
in-place swap of the page's endorsements section (``request.htmx``), status 400 with the message
when the input was refused. Unknown and other organisations' ids are the same 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import Perm
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from endorsements import services
from endorsements.forms import EndorseForm
from endorsements.models import Endorsement
from endorsements.selectors import endorsement_get_own, endorsement_get_visible
from endorsements.templatetags.endorsements import SECTION_TEMPLATE, section_context
from skills.models import Skill
from skills.selectors.framework import skill_get, skill_list
from skillsmap.core.errors import ServiceError, form_add_service_error
from teams.models import Person
from teams.selectors import person_get


def _person_url(tenant: Tenant, person: Person) -> str:
    url = reverse(
        "teams:person_detail",
        kwargs={"org_slug": tenant.organisation.slug, "person_id": person.pk},
    )
    return f"{url}#endorsements"


def _section(
    request: HttpRequest,
    tenant: Tenant,
    person: Person,
    *,
    errors: list[str] | None = None,
    notice: str = "",
) -> HttpResponse:
    """The endorsements section alone, for htmx to swap in place of the page's."""
    context = section_context(tenant=tenant, person=person, errors=errors or [], notice=notice)
    return render(request, SECTION_TEMPLATE, context, status=400 if errors else 200)


@org_view(Perm.ENDORSEMENTS_GIVE)
def endorse(request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int) -> HttpResponse:
    """GET: the endorse form (any skill of the framework, ``?skill=`` preselects one); POST:
    endorse. The person page's per-skill buttons post here too."""
    organisation = tenant.organisation
    person = person_get(organisation=organisation, person_id=person_id)
    is_post = request.method == "POST"
    form = EndorseForm(
        request.POST if is_post else None,
        skills=skill_list(organisation=organisation),
        initial={"skill": request.GET.get("skill", "")},
    )
    if is_post and form.is_valid():
        skill = form.cleaned_data["skill"]
        try:
            services.endorsement_create(
                organisation=organisation,
                person=person,
                skill=skill,
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ServiceError as error:
            form_add_service_error(form, error)
        else:
            notice = f"You endorsed {person.name} for {skill.name}."
            if request.htmx:
                return _section(request, tenant, person, notice=notice)
            messages.success(request, notice)
            return redirect(_person_url(tenant, person))
    if is_post and request.htmx:
        errors = [str(e) for errs in form.errors.values() for e in errs]
        return _section(request, tenant, person, errors=errors)
    return render(
        request,
        "endorsements/endorse.html",
        {
            "tenant": tenant,
            "person": person,
            "form": form,
            "is_self": person.user_id == request.user.pk,
        },
        status=400 if form.errors else 200,
    )


Resolve = Callable[[Tenant, Person, Skill], Endorsement]
Write = Callable[[Endorsement, User], object]


def _act(
    request: AuthenticatedHttpRequest,
    tenant: Tenant,
    person_id: int,
    skill_id: int,
    *,
    resolve: Resolve,
    write: Write,
    notice: Callable[[Endorsement], str],
) -> HttpResponse:
    """Withdraw, hide or show: resolve the person, the skill and the endorsement through the
    organisation (404 unless the caller may read it), write, and answer with the section (htmx)
    or a redirect to the person's page."""
    organisation = tenant.organisation
    person = person_get(organisation=organisation, person_id=person_id)
    skill = skill_get(organisation=organisation, skill_id=skill_id)
    endorsement = resolve(tenant, person, skill)
    try:
        write(endorsement, request.user)
    except ServiceError as error:
        if request.htmx:
            return _section(request, tenant, person, errors=[str(error)])
        messages.error(request, str(error))
    else:
        if request.htmx:
            return _section(request, tenant, person, notice=notice(endorsement))
        messages.success(request, notice(endorsement))
    return redirect(_person_url(tenant, person))


def _own(tenant: Tenant, person: Person, skill: Skill) -> Endorsement:
    return endorsement_get_own(
        organisation=tenant.organisation, membership=tenant.membership, person=person, skill=skill
    )


def _posted_endorser(request: HttpRequest) -> Resolve:
    """The endorsement of the person's skill by the form's ``endorser`` (a person's id)."""
    raw = request.POST.get("endorser", "")
    if not raw.isdigit():
        raise Http404("No such endorsement.")

    def resolve(tenant: Tenant, person: Person, skill: Skill) -> Endorsement:
        return endorsement_get_visible(
            organisation=tenant.organisation,
            membership=tenant.membership,
            person=person,
            skill=skill,
            endorser_id=int(raw),
        )

    return resolve


@org_view(Perm.ENDORSEMENTS_GIVE)
@require_POST
def endorsement_withdraw(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int, skill_id: int
) -> HttpResponse:
    """The caller withdraws their own endorsement of the person's skill."""
    return _act(
        request,
        tenant,
        person_id,
        skill_id,
        resolve=_own,
        write=lambda e, user: services.endorsement_withdraw(endorsement=e, by=user),
        notice=lambda e: f"You withdrew your endorsement of {e.person.name} for {e.skill.name}.",
    )


@org_view(Perm.PEOPLE_VIEW)
@require_POST
def endorsement_hide(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int, skill_id: int
) -> HttpResponse:
    return _act(
        request,
        tenant,
        person_id,
        skill_id,
        resolve=_posted_endorser(request),
        write=lambda e, user: services.endorsement_hide(endorsement=e, by=user),
        notice=lambda e: (
            f"{e.endorser.name}’s endorsement of your {e.skill.name} is hidden: "
            "only you see it, and it no longer counts."
        ),
    )


@org_view(Perm.PEOPLE_VIEW)
@require_POST
def endorsement_unhide(
    request: AuthenticatedHttpRequest, tenant: Tenant, person_id: int, skill_id: int
) -> HttpResponse:
    return _act(
        request,
        tenant,
        person_id,
        skill_id,
        resolve=_posted_endorser(request),
        write=lambda e, user: services.endorsement_unhide(endorsement=e, by=user),
        notice=lambda e: f"{e.endorser.name}’s endorsement of your {e.skill.name} is shown again.",
    )
