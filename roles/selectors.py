"""Reads of role profiles. Each takes the organisation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from accounts.models import Organisation
from certifications.models import CertificationStatus
from certifications.selectors import certification_states
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.models import LibraryOccupation, Skill
from teams.models import Person


def role_list(*, organisation: Organisation) -> QuerySet[RoleProfile]:
    return (
        RoleProfile.objects.filter(organisation=organisation)
        .select_related("source_occupation")  # the API names it for every role
        .annotate(
            requirement_count=Count("requirements", distinct=True),
            current_count=Count(
                "assignments",
                filter=Q(assignments__kind=RoleAssignment.Kind.CURRENT),
                distinct=True,
            ),
            target_count=Count(
                "assignments", filter=Q(assignments__kind=RoleAssignment.Kind.TARGET), distinct=True
            ),
        )
        .order_by("name")
    )


def role_get(*, organisation: Organisation, role_id: int) -> RoleProfile:
    role = RoleProfile.objects.filter(organisation=organisation, pk=role_id).first()
    if role is None:
        raise Http404("No such role profile.")
    return role


def role_requirements(*, organisation: Organisation, role: RoleProfile) -> list[RoleRequirement]:
    return list(
        RoleRequirement.objects.filter(organisation=organisation, role=role)
        .select_related("skill", "skill__category")
        .order_by("-weight", "skill__name")
    )


def role_requirement_get(
    *, organisation: Organisation, role: RoleProfile, skill_id: int
) -> RoleRequirement:
    requirement = (
        RoleRequirement.objects.filter(organisation=organisation, role=role, skill_id=skill_id)
        .select_related("skill")
        .first()
    )
    if requirement is None:
        raise Http404("No such requirement.")
    return requirement


def role_holders(*, organisation: Organisation, role: RoleProfile) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(organisation=organisation, role=role)
        .select_related("person")
        .order_by("kind", "person__name")
    )


def occupation_search(*, q: str, limit: int = 25) -> list[LibraryOccupation]:
    """O*NET occupations with rated skills whose title matches ``q`` (the global library)."""
    qs = LibraryOccupation.objects.annotate(
        rated=Count("skill_links", filter=Q(skill_links__importance__isnull=False))
    ).filter(rated__gt=0)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(code__startswith=q))
    return list(qs.order_by("title")[:limit])


def occupation_get(*, code: str) -> LibraryOccupation | None:
    """An O*NET occupation of the (global) library by its code."""
    return LibraryOccupation.objects.filter(code=code).first()


def role_required_skills(*, organisation: Organisation, person: Person) -> list[Skill]:
    """The live skills that the person's current and target roles require, by name."""
    return list(
        Skill.objects.filter(
            organisation=organisation,
            is_archived=False,
            pk__in=RoleRequirement.objects.filter(
                organisation=organisation, role__assignments__person=person
            ).values("skill_id"),
        ).order_by("name")
    )


@dataclass(frozen=True)
class CertificationCheck:
    """A certification a role asks for with one of its skills, and the best status in which the
    person holds it (None: not at all). Shown beside the gap score, never inside it."""

    name: str
    skill: Skill
    status: CertificationStatus | None

    @property
    def held(self) -> bool:
        """Held and current: valid, or expiring but not yet expired."""
        return self.status in (CertificationStatus.VALID, CertificationStatus.EXPIRING)


def role_certification_checks(
    *, organisation: Organisation, person: Person, role_ids: Iterable[int]
) -> dict[int, list[CertificationCheck]]:
    """Per role id, the certifications its requirements ask for and whether ``person`` holds each
    (case-insensitive match on the certification's name). Two queries, none without roles."""
    role_ids = list(role_ids)
    if not role_ids:
        return {}
    asked = list(
        RoleRequirement.objects.filter(organisation=organisation, role_id__in=role_ids)
        .exclude(certification="")
        .select_related("skill")
        .order_by("-weight", "skill__name")
    )
    if not asked:
        return {}
    states = certification_states(
        organisation=organisation, person=person, names=[r.certification for r in asked]
    )
    checks: dict[int, list[CertificationCheck]] = {}
    for requirement in asked:
        checks.setdefault(requirement.role_id, []).append(
            CertificationCheck(
                name=requirement.certification,
                skill=requirement.skill,
                status=states.get(requirement.certification.strip().casefold()),
            )
        )
    return checks
