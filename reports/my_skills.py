"""What My skills (``skills:self_rating``, the skills app's page) shows from above skills: each
skill's target in the engineer's current and target roles with the shortfall, readiness, what to
learn next and who could mentor them; and ``reports:my_gap``, the caller's own gap page.

Registered with ``skills.hooks.on_my_skills`` in ``ReportsConfig.ready``. Every figure comes from
what exists: readiness and the missing skills from the stored gap scores (``person_gap_view``, as
on the gap page), per-skill shortfalls from the gap engine (``gaps.person_gap``) over the one
effective-level loader, mentors from ``gaps.mentor_pairs`` within the engineer's teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpResponse
from django.shortcuts import redirect

from accounts.models import Organisation
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from reports import gaps
from reports.inputs import load_inputs, requirements_load, team_members
from reports.members import levels_for_gap
from reports.selectors import RoleGapView, person_gap_view
from roles.models import RoleAssignment
from skills.hooks import MySkillsExtras
from skills.models import Skill
from skills.selectors.levels import effective_levels
from skills.selectors.ratings import person_for_user
from teams.models import Person, TeamMembership

LEARN_NEXT_SHOWN = 5
PANEL_TEMPLATE = "reports/_my_skills_panel.html"
ROW_TEMPLATE = "reports/_my_skills_targets.html"


@dataclass(frozen=True)
class RoleTarget:
    """One role's requirement of one skill, as the engine scores it for this person."""

    kind: str  # RoleAssignment.Kind
    role_name: str
    target: int
    level: int
    shortfall: int
    essential: bool


@dataclass(frozen=True)
class SkillTargets:
    current: RoleTarget | None = None
    target: RoleTarget | None = None

    @property
    def shortfall(self) -> int:
        """The larger shortfall of the two roles: what is left to reach both."""
        return max((t.shortfall for t in (self.current, self.target) if t), default=0)


@dataclass(frozen=True)
class Mentor:
    person: Person
    level: int


@dataclass(frozen=True)
class LearnItem:
    skill: Skill
    level: int
    target: int | None  # None: not required, the engineer wants to grow in it
    shortfall: int
    role_kind: str  # "target", "current" or "" (interest only)
    interested: bool
    mentors: list[Mentor] = field(default_factory=list)


@dataclass(frozen=True)
class MySkillsPanel:
    person: Person
    current: RoleGapView | None
    target: RoleGapView | None
    learn_next: list[LearnItem]


def _skill_targets(organisation: Organisation, person: Person) -> dict[int, SkillTargets]:
    """Skill id → the person's targets in it, for every skill their current or target role
    requires, scored by the engine over their effective levels."""
    assignments = list(
        RoleAssignment.objects.filter(organisation=organisation, person=person).select_related(
            "role"
        )
    )
    if not assignments:
        return {}
    requirements = requirements_load(organisation, role_ids={a.role_id for a in assignments})
    levels, _ = levels_for_gap(effective_levels(organisation=organisation, person_ids=[person.pk]))
    mine = levels.get(person.pk, {})
    per_kind: dict[int, dict[str, RoleTarget]] = {}
    for assignment in assignments:
        scored = gaps.person_gap(requirements.get(assignment.role_id, []), mine)
        for result in scored.results:
            requirement = result.requirement
            per_kind.setdefault(requirement.skill_id, {})[assignment.kind] = RoleTarget(
                kind=assignment.kind,
                role_name=assignment.role.name,
                target=requirement.target,
                level=result.level,
                shortfall=result.shortfall,
                essential=requirement.essential,
            )
    return {
        skill_id: SkillTargets(current=kinds.get("current"), target=kinds.get("target"))
        for skill_id, kinds in per_kind.items()
    }


def _mentor_pairs(
    organisation: Organisation, person: Person
) -> tuple[list[gaps.MentorPair], set[int]]:
    """The mentor pairs the team matrix computes, within the person's teams, in which the person
    is the mentee; and the skills the person wants to grow in."""
    team_ids = set(
        TeamMembership.objects.filter(organisation=organisation, person=person).values_list(
            "team_id", flat=True
        )
    )
    if not team_ids:
        return [], set()
    inputs = load_inputs(organisation, team_ids=team_ids)
    members = team_members(team_ids=team_ids, inputs=inputs)
    pairs = [p for p in gaps.mentor_pairs(members) if p.mentee_id == person.pk]
    return pairs, set(inputs.interests.get(person.pk, ()))


def _learn_next(
    organisation: Organisation,
    person: Person,
    current: RoleGapView | None,
    target: RoleGapView | None,
) -> list[LearnItem]:
    """The target role's missing skills, then the current role's, heaviest first as the gap
    page lists them; then the skills the person wants to grow in that someone could mentor."""
    pairs, interests = _mentor_pairs(organisation, person)
    people = Person.objects.filter(organisation=organisation).in_bulk({p.mentor_id for p in pairs})
    mentors: dict[int, list[Mentor]] = {}
    own_level = {pair.skill_id: pair.mentee_level for pair in pairs}
    for pair in pairs:
        if pair.mentor_id in people:
            mentors.setdefault(pair.skill_id, []).append(
                Mentor(people[pair.mentor_id], pair.mentor_level)
            )
    items: dict[int, LearnItem] = {}
    for kind, view in (("target", target), ("current", current)):
        for missing in view.missing if view else []:
            if missing.skill is None or missing.skill.pk in items:
                continue
            items[missing.skill.pk] = LearnItem(
                skill=missing.skill,
                level=missing.level,
                target=missing.target,
                shortfall=missing.shortfall,
                role_kind=kind,
                interested=missing.skill.pk in interests,
                mentors=mentors.get(missing.skill.pk, []),
            )
    learn = list(items.values())[:LEARN_NEXT_SHOWN]
    listed = {item.skill.pk for item in learn}
    wanted = Skill.objects.filter(organisation=organisation).in_bulk(
        [s for s in mentors if s not in listed]
    )
    for skill_id in sorted(wanted, key=lambda s: wanted[s].name.casefold()):
        learn.append(
            LearnItem(
                skill=wanted[skill_id],
                level=own_level[skill_id],
                target=None,
                shortfall=0,
                role_kind="",
                interested=True,
                mentors=mentors[skill_id],
            )
        )
    return learn


def my_skills_extras(*, organisation: Organisation, person: Person) -> MySkillsExtras:
    """The provider registered for My skills (``skills.hooks.on_my_skills``)."""
    gap = person_gap_view(organisation=organisation, person=person)
    current = gap["current"]
    target = gap["target"]
    assert current is None or isinstance(current, RoleGapView)
    assert target is None or isinstance(target, RoleGapView)
    panel = MySkillsPanel(
        person=person,
        current=current,
        target=target,
        learn_next=_learn_next(organisation, person, current, target),
    )
    return MySkillsExtras(
        panel_template=PANEL_TEMPLATE,
        panel=panel,
        row_template=ROW_TEMPLATE,
        per_skill=_skill_targets(organisation, person),
    )


@org_view()
def my_gap(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """The navigation's "My gap": the caller's own gap page, whatever their role."""
    person = person_for_user(organisation=tenant.organisation, user=request.user)
    return redirect("reports:person_gap", org_slug=tenant.organisation.slug, person_id=person.pk)
