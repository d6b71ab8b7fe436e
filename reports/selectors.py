"""Reads of the reports domain. Each takes the organisation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, QuerySet, Sum
from django.http import Http404

from accounts.models import Organisation, User
from accounts.permissions import Perm
from accounts.views_base import Tenant
from reports import gaps
from reports.inputs import load_inputs, team_members
from reports.members import levels_for_gap, members_build
from reports.models import GapScore, GapSnapshot, TeamSkillCoverage, TeamSnapshot
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.levels import Effective
from skills.models import Skill, SkillCategory
from skills.selectors.levels import effective_levels
from skillsmap.core.models import Job
from teams.hierarchy import team_subtree_ids, teams_visible_to
from teams.models import Person, Team, TeamMembership


def job_get_for(*, organisation: Organisation, job_id: int, tenant: Tenant, user: User) -> Job:
    """A job its starter may follow; HR and admins see all of them. Anyone else: 404."""
    # The upload and the export file can be megabytes; the status page needs neither.
    job = (
        Job.objects.filter(organisation=organisation, pk=job_id).defer("payload", "output").first()
    )
    if job is None or (job.created_by_id != user.pk and not tenant.can(Perm.PEOPLE_MANAGE)):
        raise Http404("No such job.")
    return job


def export_file_get(*, organisation: Organisation, job_id: int, tenant: Tenant, user: User) -> Job:
    """A finished export with its file, for whoever may follow the job. An import, a running or
    failed export, someone else's job, another organisation's: the same 404."""
    job = job_get_for(organisation=organisation, job_id=job_id, tenant=tenant, user=user)
    if job.kind != Job.Kind.GAP_EXPORT or job.status != Job.Status.SUCCEEDED:
        raise Http404("No such job.")
    with_file = (
        Job.objects.filter(organisation=organisation, pk=job.pk).exclude(output=None).first()
    )
    if with_file is None or not with_file.output:
        raise Http404("No such job.")
    return with_file


def export_list_recent(*, organisation: Organisation, user: User, limit: int) -> list[Job]:
    """The user's latest exports, newest first, without their files."""
    return list(
        Job.objects.filter(organisation=organisation, kind=Job.Kind.GAP_EXPORT, created_by=user)
        .defer("payload", "output")  # the files can be large; the list needs none of them
        .order_by("-created_at")[:limit]
    )


def gap_score_query(
    *,
    organisation: Organisation,
    person_ids: set[int] | None,
    person: Person | None = None,
    role: RoleProfile | None = None,
    team: Team | None = None,
    kind: str | None = None,
    essential_alert: bool | None = None,
) -> QuerySet[GapScore]:
    """Gap scores of the people in ``person_ids`` (``None``: everyone), filtered."""
    scores = GapScore.objects.filter(organisation=organisation).select_related("person", "role")
    if person_ids is not None:
        scores = scores.filter(person_id__in=person_ids)
    if person is not None:
        scores = scores.filter(person=person)
    if role is not None:
        scores = scores.filter(role=role)
    if team is not None:
        members = TeamMembership.objects.filter(
            organisation=organisation,
            team_id__in=team_subtree_ids(organisation=organisation, team_ids=[team.pk]),
        ).values("person_id")
        scores = scores.filter(person_id__in=members)
    if kind:
        scores = scores.filter(kind=kind)
    if essential_alert is not None:
        scores = scores.filter(essential_alert=essential_alert)
    return scores


# --- Teams and the team matrix -------------------------------------------------------------------


def matrix_team_ids(*, organisation: Organisation, tenant: Tenant) -> set[int] | None:
    """The teams whose matrix the caller may read (``teams.hierarchy.teams_visible_to``):
    ``None`` means all of them."""
    scope = teams_visible_to(organisation=organisation, membership=tenant.membership)
    return None if scope.whole_organisation else set(scope.team_ids)


def team_get_for(*, organisation: Organisation, team_id: int, tenant: Tenant) -> Team:
    """A team whose matrix the caller may read. Unknown or another organisation's team: 404; a
    team that is not theirs: 403."""
    team = Team.objects.filter(organisation=organisation, pk=team_id).first()
    if team is None:
        raise Http404("No such team.")
    allowed = matrix_team_ids(organisation=organisation, tenant=tenant)
    if allowed is not None and team.pk not in allowed:
        raise PermissionDenied("Only the team's managers and HR see its matrix.")
    return team


@dataclass(frozen=True)
class MatrixCell:
    level: int | None
    not_applicable: bool
    rated: bool
    stale: bool
    validated: bool
    target: int | None  # the person's own role target for this skill, if their role requires it

    @property
    def shortfall(self) -> int:
        """Against the person's own role target; unrated and "not applicable" count as 0."""
        return 0 if self.target is None else gaps.shortfall(self.target, self.level or 0)


@dataclass(frozen=True)
class MatrixColumn:
    skill: Skill
    coverage: TeamSkillCoverage | None


@dataclass(frozen=True)
class MatrixRow:
    person: Person
    role: RoleProfile | None
    gap: GapScore | None
    cells: list[MatrixCell]


@dataclass(frozen=True)
class Matrix:
    team: Team
    team_ids: list[int]
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    computed_at: datetime | None
    fresh: bool
    mentor_pairs: list[MentorLine]


def team_matrix(
    *,
    organisation: Organisation,
    team: Team,
    role_id: int | None = None,
    category_id: int | None = None,
    skill_ids: list[int] | None = None,
    sort: str = "person",
    now: datetime | None = None,
) -> Matrix:
    """People × skills of a team and its sub-teams, in a fixed number of queries whatever the size.

    Columns: the skills the members' current roles require (or one role's, with ``role_id``),
    narrowed by category or an explicit list. Cells: effective level, staleness, and the person's
    own role target. Totals come from the materialised tables (GapScore, TeamSkillCoverage), so the
    page shows the same numbers as the exports, and says how fresh they are.
    """
    team_ids = team_subtree_ids(organisation=organisation, team_ids=[team.pk])
    person_ids = set(
        TeamMembership.objects.filter(organisation=organisation, team_id__in=team_ids).values_list(
            "person_id", flat=True
        )
    )
    people = list(
        Person.objects.filter(organisation=organisation, pk__in=person_ids, is_active=True)
    )
    assignments = {
        a.person_id: a
        for a in RoleAssignment.objects.filter(
            organisation=organisation, person_id__in=person_ids, kind=RoleAssignment.Kind.CURRENT
        ).select_related("role")
    }
    role_ids = {role_id} if role_id else {a.role_id for a in assignments.values()}
    targets: dict[tuple[int, int], int] = {}  # (role, skill) → target
    for r_id, s_id, target_level in RoleRequirement.objects.filter(
        organisation=organisation, role_id__in=role_ids
    ).values_list("role_id", "skill_id", "target_level"):
        targets[(r_id, s_id)] = target_level
    wanted = set(skill_ids) if skill_ids else {s for _, s in targets}
    skills_qs = Skill.objects.filter(organisation=organisation, pk__in=wanted, is_archived=False)
    if category_id:
        skills_qs = skills_qs.filter(category_id=category_id)
    skills = list(skills_qs.select_related("category").order_by("category__name", "name"))
    coverage = {
        c.skill_id: c
        for c in TeamSkillCoverage.objects.filter(
            organisation=organisation, team=team, skill__in=skills
        )
    }
    scores = {
        g.person_id: g
        for g in GapScore.objects.filter(
            organisation=organisation, person_id__in=person_ids, kind=RoleAssignment.Kind.CURRENT
        )
    }
    effective = effective_levels(
        organisation=organisation, person_ids=person_ids, skill_ids=[s.pk for s in skills]
    )
    rows = []
    for person in people:
        assignment = assignments.get(person.pk)
        cells = []
        for skill in skills:
            eff = effective.get((person.pk, skill.pk))
            target = targets.get((assignment.role_id, skill.pk)) if assignment else None
            cells.append(
                MatrixCell(
                    level=eff.level if eff else 0,
                    not_applicable=bool(eff and eff.not_applicable),
                    rated=bool(eff and eff.rated_at),
                    stale=bool(eff and eff.stale),
                    validated=bool(eff and eff.validated),
                    target=target,
                )
            )
        rows.append(
            MatrixRow(
                person=person,
                role=assignment.role if assignment else None,
                gap=scores.get(person.pk),
                cells=cells,
            )
        )
    if sort == "gap":
        rows.sort(key=lambda r: (-(r.gap.gap if r.gap else 0), r.person.name))
    else:
        rows.sort(key=lambda r: r.person.name.lower())
    columns = [MatrixColumn(skill, coverage.get(skill.pk)) for skill in skills]
    if sort in ("coverage", "skill"):
        order = sorted(
            range(len(columns)),
            key=lambda i: (
                (c.coverage if (c := columns[i].coverage) else 0) if sort == "coverage" else 0,
                columns[i].skill.name.lower(),
            ),
        )
        columns = [columns[i] for i in order]
        rows = [MatrixRow(r.person, r.role, r.gap, [r.cells[i] for i in order]) for r in rows]
    return Matrix(
        team=team,
        team_ids=team_ids,
        columns=columns,
        rows=rows,
        computed_at=organisation.computed_at,
        fresh=organisation.results_are_fresh,
        mentor_pairs=_mentor_lines(people, skills, effective),
    )


def matrix_filter_choices(*, organisation: Organisation) -> dict[str, list]:
    """The role profiles, categories and skills the team matrix can be narrowed to, by name (ids
    and names only: the skill list is the whole framework)."""
    return {
        "roles": list(
            RoleProfile.objects.filter(organisation=organisation)
            .only("pk", "name")
            .order_by("name")
        ),
        "categories": list(
            SkillCategory.objects.filter(organisation=organisation)
            .only("pk", "name")
            .order_by("name")
        ),
        "skills": list(
            Skill.objects.filter(organisation=organisation, is_archived=False)
            .only("pk", "name")
            .order_by("name")
        ),
    }


MENTOR_PAIRS_SHOWN = 30


def _mentor_lines(
    people: list[Person], skills: list[Skill], effective: dict[tuple[int, int], Effective]
) -> list[MentorLine]:
    """Mentor pairs (``gaps.mentor_pairs``) in the skills the matrix shows, from the levels it
    has already read: the team page costs the same queries whatever the team's size."""
    shown = {skill.pk for skill in skills}
    levels, interests = levels_for_gap(
        {key: eff for key, eff in effective.items() if key[1] in shown},
        people={person.pk for person in people},
    )
    members = members_build([person.pk for person in people], levels=levels, interests=interests)
    by_person = {p.pk: p for p in people}
    by_skill = {s.pk: s for s in skills}
    return [
        MentorLine(
            by_skill[p.skill_id],
            by_person[p.mentor_id],
            by_person[p.mentee_id],
            p.mentor_level,
            p.mentee_level,
        )
        for p in gaps.mentor_pairs(members)[:MENTOR_PAIRS_SHOWN]
    ]


def team_coverage(*, organisation: Organisation, team: Team) -> list[TeamSkillCoverage]:
    """The team's coverage per required skill (the team and the teams below it), risks first."""
    return list(
        TeamSkillCoverage.objects.filter(organisation=organisation, team=team)
        .select_related("skill")
        .order_by("-bus_factor_risk", "coverage", "skill__name")
    )


# --- What-if, person gap and the organisation dashboard -----------------------------------------


@dataclass(frozen=True)
class WhatIfLine:
    skill: Skill
    before: int
    after: int
    target: int
    becomes_risk: bool


def team_what_if(*, organisation: Organisation, team: Team, person_id: int) -> list[WhatIfLine]:
    """The team's coverage recomputed live without one of its people, worst change first."""
    team_ids = set(team_subtree_ids(organisation=organisation, team_ids=[team.pk]))
    inputs = load_inputs(organisation, team_ids=team_ids)  # the team's people only
    members = team_members(team_ids=team_ids, inputs=inputs)
    if person_id not in {m.person_id for m in members}:
        raise Http404("No such person in this team.")
    changes = gaps.what_if_without(members, person_id)
    skills = Skill.objects.filter(organisation=organisation).in_bulk([c.skill_id for c in changes])
    return [
        WhatIfLine(
            skills[c.skill_id], c.before.coverage, c.coverage_after, c.before.target, c.becomes_risk
        )
        for c in changes
        if c.skill_id in skills
    ]


@dataclass(frozen=True)
class MissingSkill:
    skill: Skill | None
    target: int
    level: int
    shortfall: int
    weight: float
    essential: bool


@dataclass(frozen=True)
class RoleGapView:
    score: GapScore
    missing: list[MissingSkill]


def person_gap_view(*, organisation: Organisation, person: Person) -> dict[str, object]:
    """A person's readiness for their current and target roles, the missing skills heaviest first,
    and the trend of their gap over time (from the nightly snapshots)."""
    scores = list(
        GapScore.objects.filter(organisation=organisation, person=person).select_related("role")
    )
    skill_ids = {m["skill"] for s in scores for m in s.missing}
    skills = Skill.objects.filter(organisation=organisation).in_bulk(skill_ids)
    views = {
        s.kind: RoleGapView(
            s,
            [
                MissingSkill(
                    skills.get(m["skill"]),
                    m["target"],
                    m["level"],
                    m["shortfall"],
                    m["weight"],
                    m["essential"],
                )
                for m in s.missing
            ],
        )
        for s in scores
    }
    points: dict[str, dict[str, float]] = {}
    for day, kind, gap in (
        GapSnapshot.objects.filter(organisation=organisation, person=person)
        .order_by("day")
        .values_list("day", "kind", "gap")
    ):
        points.setdefault(day.isoformat(), {})[kind] = float(gap)
    labels = list(points)
    trend_chart = {
        "labels": labels,
        "yLabel": "gap %",
        "series": [
            {"label": label, "data": [points[d].get(kind) for d in labels]}
            for kind, label in (("current", "Current role"), ("target", "Target role"))
        ],
    }
    teams = [
        m.team
        for m in TeamMembership.objects.filter(
            organisation=organisation, person=person
        ).select_related("team")
    ]
    return {
        "current": views.get("current"),
        "target": views.get("target"),
        "trend_chart": trend_chart if labels else None,
        "teams": teams,
    }


def organisation_dashboard(*, organisation: Organisation) -> dict[str, object]:
    """Gap by team and by role, bus-factor risks, the trend and freshness, for hr and admins."""
    current = {
        person_id: gap
        for person_id, gap in GapScore.objects.filter(
            organisation=organisation, kind="current"
        ).values_list("person_id", "gap")
    }
    by_team = gaps.team_current_gaps(
        TeamMembership.objects.filter(organisation=organisation).values_list(
            "team_id", "person_id"
        ),
        current,
    )
    teams = Team.objects.filter(organisation=organisation).in_bulk(list(by_team))
    # Teams without a member in a current role have no average and are not listed.
    shown: list[tuple[int, Decimal]] = []
    for team_id, member_gaps in by_team.items():
        average = gaps.team_average_gap(member_gaps)
        if team_id in teams and average is not None:
            shown.append((team_id, round(average, 1)))
    shown.sort(key=lambda pair: -pair[1])  # stable: equal averages keep the membership order
    team_rows = [
        {"team": teams[t], "people": len(by_team[t]), "avg_gap": average} for t, average in shown
    ]
    role_rows = list(
        GapScore.objects.filter(organisation=organisation, kind="current")
        .values("role__id", "role__name")
        .annotate(people=Count("id"), avg_gap=Avg("gap"))
        .order_by("-avg_gap")
    )
    risks = list(
        TeamSkillCoverage.objects.filter(organisation=organisation, bus_factor_risk=True)
        .select_related("team", "skill")
        .order_by("coverage", "team__name", "skill__name")[:200]
    )
    # The gap line averages people in their current role (from the person snapshots, which also
    # carry history the team snapshots lack); averaging team averages would count teams without
    # members as 0 % and pull the line down.
    gap_by_day = dict(
        GapSnapshot.objects.filter(organisation=organisation, kind=RoleAssignment.Kind.CURRENT)
        .values("day")
        .annotate(avg=Avg("gap"))
        .values_list("day", "avg")
    )
    risks_by_day = dict(
        TeamSnapshot.objects.filter(organisation=organisation)
        .values("day")
        .annotate(risks=Sum("bus_factor_risks"))
        .values_list("day", "risks")
    )
    days = sorted(set(gap_by_day) | set(risks_by_day))
    trend_chart = {
        "labels": [day.isoformat() for day in days],
        "yLabel": "average gap % / risks",
        "series": [
            {
                "label": "Average gap, current roles (%)",
                "data": [round(float(gap_by_day[d]), 2) if d in gap_by_day else None for d in days],
            },
            {"label": "Bus-factor risks", "data": [risks_by_day.get(d) for d in days]},
        ],
    }
    return {
        "teams": team_rows,
        "roles": role_rows,
        "risks": risks,
        "trend_chart": trend_chart if days else None,
        "computed_at": organisation.computed_at,
        "fresh": organisation.results_are_fresh,
    }


@dataclass(frozen=True)
class MentorLine:
    skill: Skill
    mentor: Person
    mentee: Person
    mentor_level: int
    mentee_level: int
