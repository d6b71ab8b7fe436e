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
from skills.library import TECHNOLOGY_PREFIX, normalise_skill_name
from skills.models import LibraryOccupation, LibraryOccupationSkill, Skill, SkillCategory, SkillKind
from skills.selectors.framework import scale_bounds
from skills.services.framework import rows_move
from skills.services.ratings import profile_skills_add_many
from skillsmap.core.changes import inputs_changed
from skillsmap.core.errors import ServiceError
from teams.models import Person

ONET_MAPPING_NOTE = (
    "Built from the O*NET 29.3 occupation with our own mapping (modified): skills and work "
    "styles of importance 3 or more, and knowledge areas (such as Computers and Electronics or "
    "Mathematics) of importance 3.5 or more; target = round(level / 7 × 5), at least 1 (work "
    "styles, which O*NET rates for importance only, get 3); weight = importance. The technologies "
    "O*NET marks In Demand for the occupation are optional requirements of weight 1 at the target "
    "level the author chose (default 3), matched to the framework's skills by name or alias; "
    "where they belong to a software group our curated map ties to a skill the framework already "
    "has (security software: Security Engineering; database management systems: Data "
    "Management), that skill is required too, essential, weight 2. O*NET® is a trademark of "
    "USDOL/ETA; data CC BY 4.0."
)
# Every occupation rates all 33 knowledge areas, most of them low; a stricter bar than skills'
# keeps the ones the job is about (a database administrator: Computers and Electronics,
# Mathematics, English Language, ...) and leaves out the background (Geography, Psychology).
KNOWLEDGE_MIN_IMPORTANCE = 3.5
KNOWLEDGE_PREFIX = "2.C."

# Our curated map from UNSPSC commodities (the group O*NET files a technology under; the library
# keeps it as the technology's category, "unspsc:<code>") to the framework skill the group is
# evidence of. Only groups that name one area unambiguously: "Data base user interface and query
# software" is left out because O*NET files cloud suites such as AWS there too.
TECHNOLOGY_GROUP_SKILLS: dict[str, str] = {
    "unspsc:43233201": "Security Engineering",  # Authentication server software
    "unspsc:43233203": "Security Engineering",  # Network security or VPN management software
    "unspsc:43233204": "Security Engineering",  # Network security and VPN equipment software
    "unspsc:43233205": "Security Engineering",  # Transaction security and virus protection
    "unspsc:43233206": "Security Engineering",  # Cloud-based protection or security software
    "unspsc:43232304": "Data Management",  # Data base management system software
    "unspsc:43232311": "Data Management",  # Object oriented data base management software
}
TECHNOLOGY_DEFAULT_TARGET = 3
# As long as a certification's own name (``certifications.models.Certification.name``).
CERTIFICATION_NAME_MAX = 200


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


def _refuse_taken_name(
    organisation: Organisation, name: str, *, exclude: RoleProfile | None
) -> None:
    taken = RoleProfile.objects.filter(organisation=organisation, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ServiceError(f"A role profile called “{name}” already exists.")


@transaction.atomic
def role_profile_create(
    *, organisation: Organisation, name: str, description: str = "", by: User | None
) -> RoleProfile:
    name = name.strip()
    _refuse_taken_name(organisation, name, exclude=None)
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
    certification: str = "",
    by: User | None,
) -> RoleRequirement:
    """Add a requirement to a role or change it. ``certification``: the name of a certification
    the role asks for with this skill, or "" for none; it is shown beside the gap, not scored."""
    organisation = role.organisation
    certification = " ".join(certification.split())
    if len(certification) > CERTIFICATION_NAME_MAX:
        raise ServiceError(
            {
                "certification": "Keep the certification's name under "
                f"{CERTIFICATION_NAME_MAX} characters."
            }
        )
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
            **({"certification": existing.certification} if existing.certification else {}),
        }
        if existing
        else None
    )
    requirement, _ = RoleRequirement.objects.update_or_create(
        organisation=organisation,
        role=role,
        skill=skill,
        defaults={
            "target_level": target_level,
            "importance": importance,
            "weight": weight,
            "certification": certification,
        },
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
            **({"certification": certification} if certification else {}),
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


@dataclass(frozen=True)
class OccupationProfile:
    """What ``role_profile_from_occupation`` built: the role, and the skills it added to the
    organisation's framework to do so (the page names them)."""

    role: RoleProfile
    adopted: list[Skill]


def _framework_skill_named(organisation: Organisation, name: str) -> Skill | None:
    """The organisation's live skill answering to ``name`` (its name or an alias), if any."""
    wanted = normalise_skill_name(name)
    for skill in Skill.objects.filter(
        organisation=organisation, is_archived=False, merged_into__isnull=True
    ):
        aliases = (normalise_skill_name(a) for a in skill.aliases or [])
        if wanted in {skill.normalised_name, *aliases}:
            return skill
    return None


@transaction.atomic
def role_profile_from_occupation(
    *,
    organisation: Organisation,
    occupation: LibraryOccupation,
    by: User | None,
    name: str = "",
    technology_target: int = TECHNOLOGY_DEFAULT_TARGET,
) -> OccupationProfile:
    """A role profile from an O*NET occupation, by our documented mapping (``ONET_MAPPING_NOTE``):
    its rated skills, work styles and main knowledge areas, its in-demand technologies at ``technology_target``, and the
    framework skills our curated map ties to those technologies' groups. Library skills the
    framework lacks are adopted into it; ones it has under the same name or an alias are reused."""
    from skills.services.framework import skill_adopt

    low, high = scale_bounds(organisation=organisation)
    if not low <= technology_target <= high:
        raise ServiceError(f"The target level must be on the scale ({low}–{high}).")
    onet_links = (
        LibraryOccupationSkill.objects.filter(occupation=occupation, skill__source="onet")
        .select_related("skill", "skill__category")
        .order_by("-importance", "skill__name")
    )
    rated = [
        link
        for link in onet_links.filter(importance__gte=3)
        if not link.skill.external_id.startswith(TECHNOLOGY_PREFIX)
        and (
            not link.skill.external_id.startswith(KNOWLEDGE_PREFIX)
            or cast(float, link.importance) >= KNOWLEDGE_MIN_IMPORTANCE
        )
    ]
    technologies = list(
        onet_links.filter(in_demand=True, skill__external_id__startswith=TECHNOLOGY_PREFIX)
    )
    if not rated and not technologies:
        raise ServiceError(
            f"O*NET has no rated skills for “{occupation.title}”; choose a neighbouring occupation."
        )
    # The adoption maps every library skill to the organisation's skill, including one it already
    # had under the same name or an alias, so nothing is duplicated.
    adoption = skill_adopt(
        organisation=organisation,
        library_skills=[link.skill for link in (*rated, *technologies)],
        by=by,
    )
    role = role_profile_create(
        organisation=organisation,
        name=name or occupation.title,
        description=f"{occupation.description}\n\n{ONET_MAPPING_NOTE}",
        by=by,
    )
    role.source_occupation = occupation
    role.save(update_fields=["source_occupation"])
    required: set[int] = set()

    def require(skill: Skill | None, target: int, importance: str, weight: Decimal) -> None:
        # Two library skills can stand for one framework skill; the first (weightiest) one counts.
        if skill is None or skill.is_archived or skill.pk in required:
            return
        required.add(skill.pk)
        role_requirement_set(
            role=role,
            skill=skill,
            target_level=target,
            importance=importance,
            weight=weight,
            by=by,
        )

    for link in rated:
        importance = cast(float, link.importance)  # importance__gte=3 above left out the nulls
        require(
            adoption.skills.get(link.skill_id),
            onet_target(None if link.not_relevant else link.level),
            Importance.ESSENTIAL if importance >= 4 else Importance.OPTIONAL,
            Decimal(str(round(importance, 2))),
        )
    areas = dict.fromkeys(
        TECHNOLOGY_GROUP_SKILLS[link.skill.category.external_id]
        for link in technologies
        if link.skill.category and link.skill.category.external_id in TECHNOLOGY_GROUP_SKILLS
    )
    for area in areas:
        require(
            _framework_skill_named(organisation, area),
            technology_target,
            Importance.ESSENTIAL,
            Decimal(2),
        )
    for link in technologies:
        require(
            adoption.skills.get(link.skill_id), technology_target, Importance.OPTIONAL, Decimal(1)
        )
    return OccupationProfile(role=role, adopted=adoption.adopted)


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


@transaction.atomic
def role_profile_update(
    *, role: RoleProfile, name: str, description: str = "", by: User | None
) -> RoleProfile:
    """Rename a role or change its description; requirements and holders stay as they are."""
    name = name.strip()
    if not name:
        raise ServiceError("A role profile needs a name.")
    _refuse_taken_name(role.organisation, name, exclude=role)
    before = {"name": role.name, "description": role.description}
    role.name, role.description = name, description
    role.save(update_fields=["name", "description"])
    audit_record(
        organisation=role.organisation,
        actor=by,
        verb="role.updated",
        target=role,
        before=before,
        after={"name": name, "description": description},
    )
    return role


def _copy_name(organisation: Organisation, name: str) -> str:
    """ "Copy of X", or "Copy of X (2)" and so on when that is taken."""
    limit = RoleProfile._meta.get_field("name").max_length or 150
    base = f"Copy of {name}"[:limit]
    candidate, n = base, 1
    while RoleProfile.objects.filter(organisation=organisation, name__iexact=candidate).exists():
        n += 1
        suffix = f" ({n})"
        candidate = base[: limit - len(suffix)] + suffix
    return candidate


@transaction.atomic
def role_profile_copy(*, role: RoleProfile, by: User | None) -> RoleProfile:
    """A new role "Copy of X" with X's description and requirements, held by nobody: a copy is a
    starting point for a neighbouring role, so nobody's gaps change."""
    organisation = role.organisation
    copy = role_profile_create(
        organisation=organisation,
        name=_copy_name(organisation, role.name),
        description=role.description,
        by=by,
    )
    copy.source_occupation_id = role.source_occupation_id
    copy.save(update_fields=["source_occupation"])
    requirements = RoleRequirement.objects.filter(organisation=organisation, role=role)
    RoleRequirement.objects.bulk_create(
        RoleRequirement(
            organisation=organisation,
            role=copy,
            skill_id=r.skill_id,
            target_level=r.target_level,
            importance=r.importance,
            weight=r.weight,
            certification=r.certification,
        )
        for r in requirements
    )
    audit_record(
        organisation=organisation,
        actor=by,
        verb="role.copied",
        target=copy,
        before={"role": role.pk, "name": role.name},
        after={"name": copy.name, "requirements": requirements.count()},
    )
    return copy


@transaction.atomic
def role_profile_delete(*, role: RoleProfile, by: User | None) -> int:
    """Delete a role with its requirements. The people who held it as their current or target
    role no longer have that role (nor a gap or readiness history for it); gaps are recomputed.
    Returns how many people held it."""
    organisation = role.organisation
    assignments = RoleAssignment.objects.filter(organisation=organisation, role=role)
    ended = assignments.values("person").distinct().count()
    audit_record(
        organisation=organisation,
        actor=by,
        verb="role.deleted",
        target=role,
        before={
            "name": role.name,
            "requirements": RoleRequirement.objects.filter(
                organisation=organisation, role=role
            ).count(),
            "assignments": assignments.count(),
        },
    )
    role.delete()
    inputs_changed(organisation=organisation)
    return ended
