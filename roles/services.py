"""Role profiles: creating them, their requirements, who holds them, and the two starting points
we ship: the product's own "Backend Engineer" profile and any O*NET occupation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Organisation, User
from roles import selectors
from roles.models import Importance, RoleAssignment, RoleProfile, RoleRequirement
from skills.library import normalise_skill_name
from skills.models import LibraryOccupation, LibraryOccupationSkill, Skill, SkillCategory, SkillKind
from skills.selectors.framework import scale_bounds
from skills.services.framework import rows_move
from skills.services.ratings import profile_skills_add_many
from skillsmap.core.changes import inputs_changed
from skillsmap.core.errors import ServiceError
from teams.models import Person

ONET_MAPPING_NOTE = (
    "Built from the O*NET 29.3 occupation with our own mapping (modified): skills and work "
    "styles of importance 3 or more; target = round(level / 7 × 5), at least 1 (work styles, which "
    "O*NET rates for importance only, get 3); weight = importance. O*NET® is a trademark of "
    "USDOL/ETA; data CC BY 4.0."
)


@dataclass(frozen=True)
class TemplateRequirement:
    name: str
    kind: str
    category: str
    target: int
    importance: str
    weight: Decimal
    aliases: tuple[str, ...] = ()


# The product's starting point for a backend engineer (the seed profile in the README): human
# skills and priority technical skills are essential; specialist skills are optional and weigh less.
BACKEND_ENGINEER: tuple[TemplateRequirement, ...] = (
    TemplateRequirement("Problem Solving", SkillKind.HUMAN, "Ways of working", 3, Importance.ESSENTIAL, Decimal(2)),
    TemplateRequirement("Attention to Detail", SkillKind.HUMAN, "Ways of working", 3, Importance.ESSENTIAL, Decimal(2)),
    TemplateRequirement("Active Learning", SkillKind.HUMAN, "Ways of working", 3, Importance.ESSENTIAL, Decimal(2), ("Growth Mindset",)),
    TemplateRequirement("Communication", SkillKind.HUMAN, "Ways of working", 3, Importance.ESSENTIAL, Decimal(2)),
    TemplateRequirement("Requirements Gathering", SkillKind.HUMAN, "Ways of working", 3, Importance.ESSENTIAL, Decimal(2)),
    TemplateRequirement("API Design and Development", SkillKind.TECHNICAL, "Backend engineering", 4, Importance.ESSENTIAL, Decimal(3)),
    TemplateRequirement("Distributed Systems", SkillKind.TECHNICAL, "Backend engineering", 4, Importance.ESSENTIAL, Decimal(3)),
    TemplateRequirement("Continuous Delivery (CD)", SkillKind.TECHNICAL, "Delivery", 4, Importance.ESSENTIAL, Decimal(3)),
    TemplateRequirement("Database Design", SkillKind.TECHNICAL, "Backend engineering", 3, Importance.OPTIONAL, Decimal(1)),
    TemplateRequirement("Cloud Infrastructure", SkillKind.TECHNICAL, "Platform", 3, Importance.OPTIONAL, Decimal(1)),
    TemplateRequirement("Containerisation", SkillKind.TECHNICAL, "Platform", 3, Importance.OPTIONAL, Decimal(1), ("Docker and Kubernetes",)),
    TemplateRequirement("Server-side Development", SkillKind.TECHNICAL, "Backend engineering", 3, Importance.OPTIONAL, Decimal(1)),
    TemplateRequirement("Data Management", SkillKind.TECHNICAL, "Data", 3, Importance.OPTIONAL, Decimal(1)),
    TemplateRequirement("Security Engineering", SkillKind.TECHNICAL, "Platform", 3, Importance.OPTIONAL, Decimal(1), ("Security",)),
    TemplateRequirement("AI-integrated Backend Development", SkillKind.TECHNICAL, "Backend engineering", 2, Importance.OPTIONAL, Decimal(1)),
    TemplateRequirement("Real-time Data Processing", SkillKind.TECHNICAL, "Data", 3, Importance.OPTIONAL, Decimal(1)),
)  # fmt: skip
BACKEND_ENGINEER_NAME = "Backend Engineer"
BACKEND_ENGINEER_DESCRIPTION = (
    "Designs, builds and runs the server side of products: APIs, data and distributed systems. "
    "From the skills the product's starting point prioritises for a backend engineer."
)


def _skill_for(organisation: Organisation, spec: TemplateRequirement) -> Skill:
    """The organisation's skill of that name (or alias), else a new one of its own."""
    wanted = {normalise_skill_name(n) for n in (spec.name, *spec.aliases)}
    for skill in Skill.objects.filter(organisation=organisation, is_archived=False):
        known = {skill.normalised_name, *(normalise_skill_name(a) for a in skill.aliases)}
        if known & wanted:
            return skill
    category, _ = SkillCategory.objects.get_or_create(organisation=organisation, name=spec.category)
    return Skill.objects.create(
        organisation=organisation,
        name=spec.name,
        normalised_name=normalise_skill_name(spec.name),
        kind=spec.kind,
        category=category,
        aliases=list(spec.aliases),
    )


@transaction.atomic
def role_profile_create(
    *, organisation: Organisation, name: str, description: str = "", by: User | None
) -> RoleProfile:
    name = name.strip()
    if RoleProfile.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ServiceError(f"A role profile called “{name}” already exists.")
    role = RoleProfile.objects.create(organisation=organisation, name=name, description=description)
    audit_record(
        organisation=organisation, actor=by, verb="role.created", target=role, after={"name": name}
    )
    return role


@transaction.atomic
def role_requirement_set(
    *,
    role: RoleProfile,
    skill: Skill,
    target_level: int,
    importance: str = Importance.ESSENTIAL,
    weight: Decimal = Decimal(1),
    by: User | None,
) -> RoleRequirement:
    """Add a requirement to a role or change it."""
    organisation = role.organisation
    if skill.organisation_id != organisation.pk or skill.is_archived:
        raise ServiceError("Select a valid skill.")
    low, high = scale_bounds(organisation=organisation)
    if not low <= target_level <= high:
        raise ServiceError(f"The target level must be on the scale ({low}–{high}).")
    if weight <= 0:
        raise ServiceError("The weight must be more than 0.")
    existing = RoleRequirement.objects.filter(
        organisation=organisation, role=role, skill=skill
    ).first()
    before = (
        {
            "target": existing.target_level,
            "importance": existing.importance,
            "weight": str(existing.weight),
        }
        if existing
        else None
    )
    requirement, _ = RoleRequirement.objects.update_or_create(
        organisation=organisation,
        role=role,
        skill=skill,
        defaults={"target_level": target_level, "importance": importance, "weight": weight},
    )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="role.requirement_set",
        target=role,
        before=before,
        after={
            "skill": skill.name,
            "target": target_level,
            "importance": importance,
            "weight": str(weight),
        },
    )
    inputs_changed(organisation=organisation)
    return requirement


@transaction.atomic
def role_requirement_remove(*, requirement: RoleRequirement, by: User | None) -> None:
    organisation, role = requirement.organisation, requirement.role
    audit_record(
        organisation=organisation,
        actor=by,
        verb="role.requirement_removed",
        target=role,
        before={"skill": requirement.skill.name, "target": requirement.target_level},
    )
    requirement.delete()
    inputs_changed(organisation=organisation)


@transaction.atomic
def role_assign(
    *,
    organisation: Organisation,
    person: Person,
    role: RoleProfile | None,
    kind: str = RoleAssignment.Kind.CURRENT,
    by: User | None,
) -> RoleAssignment | None:
    """Give a person a current or target role (``role=None`` removes it)."""
    if person.organisation_id != organisation.pk or (
        role and role.organisation_id != organisation.pk
    ):
        raise ServiceError("Select a valid person and role.")
    existing = RoleAssignment.objects.filter(
        organisation=organisation, person=person, kind=kind
    ).first()
    before = {"role": existing.role.name} if existing else None
    if role is None:
        if existing:
            existing.delete()
        assignment = None
    else:
        assignment, _ = RoleAssignment.objects.update_or_create(
            organisation=organisation, person=person, kind=kind, defaults={"role": role}
        )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="role.assigned",
        target=person,
        before=before,
        after={"role": role.name if role else None, "kind": kind},
    )
    inputs_changed(organisation=organisation)
    return assignment


@transaction.atomic
def role_profile_install_backend_engineer(
    *, organisation: Organisation, by: User | None
) -> RoleProfile:
    """The product's "Backend Engineer" profile; skills it names that the organisation lacks are
    added to its framework. Idempotent."""
    role = RoleProfile.objects.filter(organisation=organisation, name=BACKEND_ENGINEER_NAME).first()
    if role is None:
        role = role_profile_create(
            organisation=organisation,
            name=BACKEND_ENGINEER_NAME,
            description=BACKEND_ENGINEER_DESCRIPTION,
            by=by,
        )
    for spec in BACKEND_ENGINEER:
        skill = _skill_for(organisation, spec)
        if not RoleRequirement.objects.filter(
            organisation=organisation, role=role, skill=skill
        ).exists():
            role_requirement_set(
                role=role,
                skill=skill,
                target_level=spec.target,
                importance=spec.importance,
                weight=spec.weight,
                by=by,
            )
    return role


def onet_target(level: float | None) -> int:
    """O*NET's level scale 0–7 onto ours 0–5 (``anchor_value``); work styles, which O*NET rates
    for importance only, get 3."""
    from skills.services.framework import anchor_value

    if level is None:
        return 3
    return anchor_value(level, top=5)


@transaction.atomic
def role_profile_from_occupation(
    *, organisation: Organisation, occupation: LibraryOccupation, by: User | None, name: str = ""
) -> RoleProfile:
    """A role profile from an O*NET occupation, by our documented mapping (``ONET_MAPPING_NOTE``).
    The occupation's skills are adopted into the organisation's framework as needed."""
    from skills.services.framework import skill_adopt

    links = list(
        LibraryOccupationSkill.objects.filter(
            occupation=occupation, importance__gte=3, skill__source="onet"
        )
        .exclude(skill__external_id__startswith="tech:")
        .select_related("skill")
    )
    if not links:
        raise ServiceError(
            f"O*NET has no rated skills for “{occupation.title}”; choose a neighbouring occupation."
        )
    # The adoption maps every library skill to the organisation's skill, including one it already
    # had under the same name or an alias.
    adopted = skill_adopt(
        organisation=organisation, library_skills=[link.skill for link in links], by=by
    ).skills
    role = role_profile_create(
        organisation=organisation,
        name=name or occupation.title,
        description=f"{occupation.description}\n\n{ONET_MAPPING_NOTE}",
        by=by,
    )
    role.source_occupation = occupation
    role.save(update_fields=["source_occupation"])
    for link in links:
        skill = adopted.get(link.skill_id)
        if skill is None or skill.is_archived:
            continue
        importance = cast(float, link.importance)  # importance__gte=3 above left out the nulls
        role_requirement_set(
            role=role,
            skill=skill,
            target_level=onet_target(None if link.not_relevant else link.level),
            importance=Importance.ESSENTIAL if importance >= 4 else Importance.OPTIONAL,
            weight=Decimal(str(round(importance, 2))),
            by=by,
        )
    return role


def role_requirements_move(*, organisation: Organisation, source: Skill, into: Skill) -> int:
    """A merged skill's requirements follow it (registered with ``skills.hooks``); where a role
    already requires ``into``, that requirement wins."""
    return rows_move(RoleRequirement, organisation, source, into, "role_id")


def profile_skills_add_for_roles(
    *, organisation: Organisation, person: Person, by: User
) -> list[Skill]:
    """ "Rate the skills of my role": put every skill that the person's current and target roles
    require on their profile. Returns the skills that were added."""
    return profile_skills_add_many(
        organisation=organisation,
        person=person,
        skills=selectors.role_required_skills(organisation=organisation, person=person),
        by=by,
        verb="profile_skill.added_for_roles",
    )
