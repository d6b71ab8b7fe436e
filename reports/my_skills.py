"""What My skills (``skills:self_rating``, the skills app's page) shows from above skills: each
skill's target in the engineer's current and target roles with the shortfall, readiness, what to
learn next and who could mentor them; and ``reports:my_gap``, the caller's own gap page.

Registered with ``skills.hooks.on_my_skills`` in ``ReportsConfig.ready``. Every figure comes from
what exists: readiness and the missing skills from the stored gap scores (as on the gap page),
per-skill shortfalls from the gap engine (``gaps.person_gap``) over the effective levels the page
has already read for its rows, mentors from ``gaps.mentor_pairs`` within the engineer's teams.

Issue #14 holds the page to a dozen statements: what this module reads takes two, one statement
for the person's roles, requirements, gap scores and teammates (JSON, ``_inputs_load``) and one for
the teammates' levels in the skills the engineer wants to grow in (only when there are both).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect

from accounts.models import Organisation
from accounts.views_base import AuthenticatedHttpRequest, Tenant, org_view
from reports import gaps
from reports.members import levels_for_gap, members_build
from reports.models import GapScore
from roles.models import RoleAssignment, RoleRequirement
from skills.hooks import MySkillsExtras
from skills.levels import Effective
from skills.models import Skill
from skills.selectors.levels import effective_levels
from skills.selectors.ratings import person_for_user
from skillsmap.core.aggregates import json_list, json_rows
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
class PersonRef:
    pk: int
    name: str


@dataclass(frozen=True)
class SkillRef:
    pk: int
    name: str


@dataclass(frozen=True)
class Mentor:
    person: PersonRef
    level: int


@dataclass(frozen=True)
class LearnItem:
    skill: SkillRef
    level: int
    target: int | None  # None: not required, the engineer wants to grow in it
    shortfall: int
    role_kind: str  # "target", "current" or "" (interest only)
    interested: bool
    mentors: list[Mentor] = field(default_factory=list)


@dataclass(frozen=True)
class Readiness:
    """A stored gap score of one of the person's roles, as the panel shows it."""

    role_name: str
    readiness: Decimal
    met: int
    total: int
    essential_alert: bool
    missing: list[dict[str, Any]]  # GapScore.missing: heaviest first


@dataclass(frozen=True)
class MySkillsPanel:
    person: Person
    current: Readiness | None
    target: Readiness | None
    learn_next: list[LearnItem]


@dataclass(frozen=True)
class _Inputs:
    """What ``_inputs_load`` read, as plain data."""

    assignments: list[tuple[int, str, str]]  # role, kind, role name
    requirements: dict[int, list[gaps.Requirement]]  # role → requirements of live skills
    skill_names: dict[int, str]  # every skill those roles require, archived ones too
    scores: dict[str, Readiness]  # kind → the stored score
    teammates: dict[int, str]  # the active people of the person's teams, but them: id → name


def _inputs_load(organisation: Organisation, person: Person, *, panel: bool) -> _Inputs:
    """The person's role assignments and the requirements of those roles (and of the roles their
    stored scores are for, whose missing skills the panel names), the stored gap scores and the
    active people of their teams: one statement, each list as JSON in the person's row. Without
    ``panel`` (an htmx row), the assignments and requirements only."""
    assigned = RoleAssignment.objects.filter(organisation=organisation, person=person)
    scores = GapScore.objects.filter(organisation=organisation, person=person)
    roles = Q(role_id__in=assigned.values("role_id"))
    if panel:
        roles |= Q(role_id__in=scores.values("role_id"))
    columns = {
        "assignments": json_rows(assigned, role_id="role_id", kind="kind", name="role__name"),
        "requirements": json_rows(
            RoleRequirement.objects.filter(roles, organisation=organisation),
            role_id="role_id",
            skill_id="skill_id",
            skill_name="skill__name",
            archived="skill__is_archived",
            target="target_level",
            weight="weight",
            importance="importance",
        ),
    }
    if panel:
        teams = TeamMembership.objects.filter(organisation=organisation, person=person)
        teammates = Person.objects.filter(
            organisation=organisation,
            is_active=True,
            team_memberships__team_id__in=teams.values("team_id"),
        ).exclude(pk=person.pk)
        columns["scores"] = json_rows(
            scores,
            kind="kind",
            name="role__name",
            readiness="readiness",
            met="met",
            total="total",
            essential_alert="essential_alert",
            missing="missing",
        )
        columns["teammates"] = json_rows(teammates, pk="pk", name="name")
    # One row of JSON columns; the stubs cannot know their names.
    row: dict[str, Any] = dict(
        Person.objects.filter(organisation=organisation, pk=person.pk).values(**columns).get()
    )

    requirements: dict[int, list[gaps.Requirement]] = {}
    skill_names: dict[int, str] = {}
    # The order of ``reports.inputs.requirements_load``, so that the float sums match the engine's.
    for r in sorted(json_list(row["requirements"]), key=lambda r: (r["role_id"], r["skill_id"])):
        skill_names[int(r["skill_id"])] = r["skill_name"]
        if not r["archived"]:
            requirements.setdefault(int(r["role_id"]), []).append(
                gaps.Requirement(
                    int(r["skill_id"]),
                    int(r["target"]),
                    float(r["weight"]),
                    r["importance"] == "essential",
                )
            )
    readiness = {
        s["kind"]: Readiness(
            role_name=s["name"],
            readiness=Decimal(str(s["readiness"])),
            met=int(s["met"]),
            total=int(s["total"]),
            essential_alert=bool(s["essential_alert"]),
            # SQLite hands a JSON column inside JSON over as its text.
            missing=json.loads(s["missing"]) if isinstance(s["missing"], str) else s["missing"],
        )
        for s in json_list(row.get("scores"))
    }
    return _Inputs(
        assignments=[
            (int(a["role_id"]), a["kind"], a["name"]) for a in json_list(row["assignments"])
        ],
        requirements=requirements,
        skill_names=skill_names,
        scores=readiness,
        # A teammate in several of the person's teams appears once per team.
        teammates={int(t["pk"]): t["name"] for t in json_list(row.get("teammates"))},
    )


def _skill_targets(inputs: _Inputs, mine: Mapping[int, int]) -> dict[int, SkillTargets]:
    """Skill id → the person's targets in it, for every skill their current or target role
    requires, scored by the engine over their effective levels (``mine``: skill → level)."""
    per_kind: dict[int, dict[str, RoleTarget]] = {}
    for role_id, kind, role_name in inputs.assignments:
        scored = gaps.person_gap(inputs.requirements.get(role_id, []), mine)
        for result in scored.results:
            requirement = result.requirement
            per_kind.setdefault(requirement.skill_id, {})[kind] = RoleTarget(
                kind=kind,
                role_name=role_name,
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
    organisation: Organisation,
    person: Person,
    inputs: _Inputs,
    mine: Mapping[int, int],
    interests: set[int],
) -> list[gaps.MentorPair]:
    """The mentor pairs the team matrix computes, within the person's teams, in which the person
    is the mentee. Only the teammates' levels in the skills the person wants to grow in (and is at
    most ``MENTEE_MAX_LEVEL`` in) are read: no other pair has the person as its mentee."""
    # People marked inactive have left: they neither mentor nor are mentored (reports.inputs).
    if not person.is_active:
        return []
    wanted = {s for s in interests if mine.get(s, 0) <= gaps.MENTEE_MAX_LEVEL}
    if not wanted or not inputs.teammates:
        return []
    theirs, _ = levels_for_gap(
        effective_levels(organisation=organisation, person_ids=inputs.teammates, skill_ids=wanted)
    )
    members = members_build(
        [person.pk, *sorted(inputs.teammates)],
        levels={**theirs, person.pk: mine},
        interests={person.pk: interests},
    )
    return [p for p in gaps.mentor_pairs(members) if p.mentee_id == person.pk]


def _learn_next(
    current: Readiness | None,
    target: Readiness | None,
    pairs: list[gaps.MentorPair],
    inputs: _Inputs,
    skills: Mapping[int, Skill],
    interests: set[int],
) -> list[LearnItem]:
    """The target role's missing skills, then the current role's, heaviest first as the gap
    page lists them; then the skills the person wants to grow in that someone could mentor."""
    mentors: dict[int, list[Mentor]] = {}
    own_level = {pair.skill_id: pair.mentee_level for pair in pairs}
    for pair in pairs:
        name = inputs.teammates[pair.mentor_id]
        mentors.setdefault(pair.skill_id, []).append(
            Mentor(PersonRef(pair.mentor_id, name), pair.mentor_level)
        )
    names = {**inputs.skill_names, **{pk: skill.name for pk, skill in skills.items()}}
    items: dict[int, LearnItem] = {}
    for kind, view in (("target", target), ("current", current)):
        for missing in view.missing if view else []:
            skill_id = int(missing["skill"])
            if skill_id not in names or skill_id in items:
                continue
            items[skill_id] = LearnItem(
                skill=SkillRef(skill_id, names[skill_id]),
                level=int(missing["level"]),
                target=int(missing["target"]),
                shortfall=int(missing["shortfall"]),
                role_kind=kind,
                interested=skill_id in interests,
                mentors=mentors.get(skill_id, []),
            )
    learn = list(items.values())[:LEARN_NEXT_SHOWN]
    listed = {item.skill.pk for item in learn}
    wanted = [s for s in mentors if s not in listed and s in skills]
    for skill_id in sorted(wanted, key=lambda s: skills[s].name.casefold()):
        learn.append(
            LearnItem(
                skill=SkillRef(skill_id, skills[skill_id].name),
                level=own_level[skill_id],
                target=None,
                shortfall=0,
                role_kind="",
                interested=True,
                mentors=mentors[skill_id],
            )
        )
    return learn


def my_skills_extras(
    *,
    organisation: Organisation,
    person: Person,
    levels: Mapping[int, Effective],
    skills: Mapping[int, Skill],
    panel: bool = True,
) -> MySkillsExtras:
    """The provider registered for My skills (``skills.hooks.on_my_skills``). ``levels`` and
    ``skills`` are what the page's rows read (the person's effective level in each skill it
    shows, and those skills): the engine's view of the person is built from them, not read
    again."""
    inputs = _inputs_load(organisation, person, panel=panel)
    mine = {skill_id: effective.level_for_gap for skill_id, effective in levels.items()}
    shown: MySkillsPanel | None = None
    if panel:
        interests = {skill_id for skill_id, effective in levels.items() if effective.interest}
        pairs = _mentor_pairs(organisation, person, inputs, mine, interests)
        current, target = inputs.scores.get("current"), inputs.scores.get("target")
        shown = MySkillsPanel(
            person=person,
            current=current,
            target=target,
            learn_next=_learn_next(current, target, pairs, inputs, skills, interests),
        )
    return MySkillsExtras(
        panel_template=PANEL_TEMPLATE,
        panel=shown,
        row_template=ROW_TEMPLATE,
        per_skill=_skill_targets(inputs, mine),
    )


@org_view()
def my_gap(request: AuthenticatedHttpRequest, tenant: Tenant) -> HttpResponse:
    """The navigation's "My gap": the caller's own gap page, whatever their role."""
    person = person_for_user(organisation=tenant.organisation, user=request.user)
    return redirect("reports:person_gap", org_slug=tenant.organisation.slug, person_id=person.pk)
