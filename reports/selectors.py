"""Reads of the reports domain. Each takes the organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Exists, OuterRef, QuerySet, Sum, Window
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.permissions import Perm
from accounts.views_base import Tenant
from reports import gaps
from reports.inputs import load_inputs, requirements_load, team_members
from reports.members import levels_for_gap, members_build
from reports.models import GapScore, GapSnapshot, TeamSkillCoverage, TeamSnapshot
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from roles.selectors import CertificationCheck, role_certification_checks
from skills.levels import Effective
from skills.models import Skill, SkillCategory
from skills.selectors.levels import effective_levels
from skillsmap.core.models import Job
from teams.hierarchy import team_subtree_ids, teams_visible_to
from teams.models import Person, Team, TeamMembership


def job_get_for(*, organisation: Organisation, job_id: int, tenant: Tenant, user: User) -> Job:
    """A job its starter may follow; HR and admins see all of them. Anyone else: 404."""
    # The upload can be megabytes; the status page does not need it.
    job = Job.objects.filter(organisation=organisation, pk=job_id).defer("payload").first()
    if job is None or (job.created_by_id != user.pk and not tenant.can(Perm.PEOPLE_MANAGE)):
        raise Http404("No such job.")
    return job


def export_file_get(*, organisation: Organisation, job_id: int, tenant: Tenant, user: User) -> Job:
    """A finished export, for whoever may follow the job. An import, a running or failed export,
    someone else's job, another organisation's: the same 404. Its file may have expired since
    (``skillsmap.core.jobs.job_file_open`` says so)."""
    job = job_get_for(organisation=organisation, job_id=job_id, tenant=tenant, user=user)
    if job.kind != Job.Kind.GAP_EXPORT or job.status != Job.Status.SUCCEEDED:
        raise Http404("No such job.")
    return job


def export_list_recent(*, organisation: Organisation, user: User, limit: int) -> list[Job]:
    """The user's latest exports, newest first, without their files."""
    return list(
        Job.objects.filter(organisation=organisation, kind=Job.Kind.GAP_EXPORT, created_by=user)
        .defer("payload")  # an upload can be large; the list does not need it
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
    # The target this cell is measured against: the person's own role's, or the lens role's.
    target: int | None

    @property
    def shortfall(self) -> int:
        """Against the cell's target; unrated and "not applicable" count as 0."""
        return 0 if self.target is None else gaps.shortfall(self.target, self.level or 0)


@dataclass(frozen=True)
class MatrixColumn:
    skill: Skill
    # Stored figures for the members' own roles; computed live (``gaps.team_coverage``) for a lens.
    coverage: TeamSkillCoverage | gaps.SkillCoverage | None


@dataclass(frozen=True)
class MatrixRow:
    person: Person
    role: RoleProfile | None
    # Stored for the person's current role; computed live (``gaps.person_gap``) for a lens.
    gap: GapScore | gaps.PersonGap | None
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
    # The role every figure is measured against, when the lens chose one; None: each member's own.
    lens: RoleProfile | None = None
    # No column came from a role (nobody has one, or their roles require nothing), so the columns
    # are the skills the people rated: the page says so rather than showing "0 skills".
    rated_only: bool = False


def matrix_lens_get(*, organisation: Organisation, role_id: int) -> RoleProfile:
    """The role profile a matrix lens measures against. Another organisation's: 404, as missing."""
    role = RoleProfile.objects.filter(organisation=organisation, pk=role_id).first()
    if role is None:
        raise Http404("No such role profile.")
    return role


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
    narrowed by category or an explicit list; when no role requires anything, the skills the
    people rated. Cells: effective level, staleness, and the target measured against.

    Without a lens the totals come from the materialised tables (GapScore, TeamSkillCoverage), so
    the page shows the same numbers as the exports, and says how fresh they are. A lens
    (``role_id``) asks "how would this team do against that role?": every figure (cell shortfalls,
    gaps, team targets, coverage, bus factor) is recomputed live through the gap engine, as if
    every member held that role.
    """
    lens = matrix_lens_get(organisation=organisation, role_id=role_id) if role_id else None
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
    role_ids = {lens.pk} if lens else {a.role_id for a in assignments.values()}
    # The engine's own loader, so a lens measures exactly what the recompute does.
    requirements = requirements_load(organisation, role_ids=role_ids)
    targets = {
        (r_id, r.skill_id): r.target for r_id, reqs in requirements.items() for r in reqs
    }  # (role, skill) → target
    required = {s for _, s in targets}
    rated_only = not skill_ids and not required
    effective: dict[tuple[int, int], Effective] | None = None
    if skill_ids:
        wanted = set(skill_ids)
    elif required:
        wanted = required
    else:
        # Nothing is required: show what the people rated (one read, reused for the cells).
        effective = effective_levels(organisation=organisation, person_ids=person_ids)
        wanted = {s for (_, s), eff in effective.items() if eff.rated_at}
    skills_qs = Skill.objects.filter(organisation=organisation, pk__in=wanted, is_archived=False)
    if category_id:
        skills_qs = skills_qs.filter(category_id=category_id)
    skills = list(skills_qs.select_related("category").order_by("category__name", "name"))
    if effective is None:
        # A lens's gaps count every requirement of the role, shown or narrowed away.
        effective = effective_levels(
            organisation=organisation,
            person_ids=person_ids,
            skill_ids={s.pk for s in skills} | (required if lens else set()),
        )
    scores: dict[int, GapScore | gaps.PersonGap]
    coverage: dict[int, TeamSkillCoverage | gaps.SkillCoverage]
    if lens:
        lens_scores, lens_coverage = _lens_figures(people, requirements.get(lens.pk, []), effective)
        scores, coverage = dict(lens_scores), dict(lens_coverage)
    else:
        coverage = {
            c.skill_id: c
            for c in TeamSkillCoverage.objects.filter(
                organisation=organisation, team=team, skill__in=skills
            )
        }
        scores = {
            g.person_id: g
            for g in GapScore.objects.filter(
                organisation=organisation,
                person_id__in=person_ids,
                kind=RoleAssignment.Kind.CURRENT,
            )
        }
    rows = []
    for person in people:
        assignment = assignments.get(person.pk)
        measured_role = lens.pk if lens else (assignment.role_id if assignment else None)
        cells = []
        for skill in skills:
            eff = effective.get((person.pk, skill.pk))
            cells.append(
                MatrixCell(
                    level=eff.level if eff else 0,
                    not_applicable=bool(eff and eff.not_applicable),
                    rated=bool(eff and eff.rated_at),
                    stale=bool(eff and eff.stale),
                    validated=bool(eff and eff.validated),
                    target=targets.get((measured_role, skill.pk)) if measured_role else None,
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
        lens=lens,
        rated_only=rated_only,
    )


def _lens_figures(
    people: list[Person],
    requirements: list[gaps.Requirement],
    effective: dict[tuple[int, int], Effective],
) -> tuple[dict[int, gaps.PersonGap], dict[int, gaps.SkillCoverage]]:
    """Person → gap and skill → coverage with every member measured against one role: the same
    engine functions (``gaps.person_gap``, ``gaps.team_coverage``) the recompute stores."""
    levels, _ = levels_for_gap(effective, people={person.pk for person in people})
    members = members_build(
        [person.pk for person in people], levels=levels, requirements_of=lambda _p: requirements
    )
    scores = {m.person_id: gaps.person_gap(m.requirements, m.levels) for m in members}
    return scores, gaps.team_coverage(members)


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
    # Certifications the role asks for, held or not. Beside the score, not inside it: the gap
    # formula (reports/gaps.py) is over skill levels only, so a certificate neither raises nor
    # lowers readiness, and the stored scores need no recompute when one expires.
    certifications: list[CertificationCheck] = field(default_factory=list)


def person_gap_view(*, organisation: Organisation, person: Person) -> dict[str, object]:
    """A person's readiness for their current and target roles, the missing skills heaviest first,
    and the trend of their gap over time (from the nightly snapshots)."""
    scores = list(
        GapScore.objects.filter(organisation=organisation, person=person)
        .select_related("role")
        # In the same statement: whether the role asks for any certification, so that a page
        # whose roles ask for none runs no query for them.
        .annotate(
            asks_certification=Exists(
                RoleRequirement.objects.filter(
                    organisation=organisation, role_id=OuterRef("role_id")
                ).exclude(certification="")
            )
        )
    )
    skill_ids = {m["skill"] for s in scores for m in s.missing}
    skills = Skill.objects.filter(organisation=organisation).in_bulk(skill_ids)
    checks = role_certification_checks(
        organisation=organisation,
        person=person,
        role_ids={s.role_id for s in scores if getattr(s, "asks_certification", False)},
    )
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
            checks.get(s.role_id, []),
        )
        for s in scores
    }
    points: dict[date, dict[str, float]] = {}
    for day, kind, gap in (
        GapSnapshot.objects.filter(organisation=organisation, person=person)
        .order_by("day")
        .values_list("day", "kind", "gap")
    ):
        points.setdefault(day, {})[kind] = float(gap)
    has_history = bool(points)
    # Snapshots are taken nightly (and the demo's last one is a week old): the chart ends on the
    # figures the cards above show, not on a snapshot that ratings have since overtaken.
    live = {kind: float(view.score.gap) for kind, view in views.items()}
    if has_history and live:
        today = timezone.localdate()
        points = {day: values for day, values in points.items() if day < today}
        points[today] = live
    days = list(points)
    trend_chart = _chart(
        labels=[_day_label(day) for day in days],
        y_label="Gap (%)",
        percent=True,
        series=[
            (label, [points[d].get(kind) for d in days])
            for kind, label in (("current", "Current role"), ("target", "Target role"))
            if any(kind in points[d] for d in days)
        ],
    )
    teams = [
        m.team
        for m in TeamMembership.objects.filter(
            organisation=organisation, person=person
        ).select_related("team")
    ]
    return {
        "current": views.get("current"),
        "target": views.get("target"),
        "trend_chart": trend_chart if has_history else None,
        "teams": teams,
    }


def _day_label(day: date) -> str:
    """A trend point's label: its day, and "now" for the live point."""
    return f"{day.isoformat()} (now)" if day == timezone.localdate() else day.isoformat()


def _chart(
    *, labels: list[str], y_label: str, percent: bool, series: list[tuple[str, list]]
) -> dict[str, object]:
    """A line chart's spec for static/js/charts.js and the data table under it: one quantity (one
    unit) per chart, so a percentage and a count never share an axis."""
    return {
        "labels": labels,
        "yLabel": y_label,
        "percent": percent,
        "series": [{"label": label, "data": data} for label, data in series],
    }


def organisation_dashboard(*, organisation: Organisation) -> dict[str, object]:
    """Gap by team and by role, bus-factor risks, the trend and freshness, for hr and admins."""
    # The current-role scores, read once for the team rows, the role rows and the live point.
    current_rows = list(
        GapScore.objects.filter(organisation=organisation, kind="current").values_list(
            "person_id", "gap", "role_id", "role__name"
        )
    )
    current = {person_id: gap for person_id, gap, _, _ in current_rows}
    memberships = list(
        TeamMembership.objects.filter(
            organisation=organisation, person__is_active=True
        ).values_list("team_id", "person_id")
    )
    by_team = gaps.team_current_gaps(memberships, current)
    members: dict[int, int] = {}
    for team_id, _person_id in memberships:
        members[team_id] = members.get(team_id, 0) + 1
    # Every team is listed: one without a member in a current role has no average, and the page
    # says why instead of leaving the reader to wonder where it went.
    shown: list[tuple[int, Decimal]] = []
    for team_id, member_gaps in by_team.items():
        average = gaps.team_average_gap(member_gaps)
        if average is not None:
            shown.append((team_id, round(average, 1)))
    shown.sort(key=lambda pair: -pair[1])  # stable: equal averages keep the membership order
    teams = {t.pk: t for t in Team.objects.filter(organisation=organisation).only("pk", "name")}
    team_rows: list[dict[str, object]] = [
        {
            "team": teams[t],
            "people": members.get(t, 0),
            "with_role": len(by_team[t]),
            "avg_gap": average,
        }
        for t, average in shown
        if t in teams
    ]
    listed = {t for t, _ in shown}
    team_rows += [
        {"team": team, "people": members.get(team.pk, 0), "with_role": 0, "avg_gap": None}
        for team in sorted(teams.values(), key=lambda t: t.name.lower())
        if team.pk not in listed
    ]
    # Gap by role from the same rows (the average of the people's gaps, highest first).
    role_gaps: dict[int, tuple[str, list[Decimal]]] = {}
    for _person_id, gap, role_id, role_name in current_rows:
        role_gaps.setdefault(role_id, (role_name, []))[1].append(gap)
    role_average = {r: sum(g, Decimal(0)) / len(g) for r, (_name, g) in role_gaps.items()}
    role_rows = [
        {"role__id": r, "role__name": name, "people": len(g), "avg_gap": role_average[r]}
        for r, (name, g) in sorted(role_gaps.items(), key=lambda item: -role_average[item[0]])
    ]
    # The first 200 risks, each carrying the count of all of them (a window over the whole
    # filtered set, taken before the limit): the live point of the risks line needs no COUNT.
    risks = list(
        TeamSkillCoverage.objects.filter(organisation=organisation, bus_factor_risk=True)
        .select_related("team", "skill")
        .annotate(risks_total=Window(Count("id")))
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
    # The last point is the live figure (the cards above it), not the last nightly snapshot.
    today = timezone.localdate()
    if current:
        gap_by_day = {d: v for d, v in gap_by_day.items() if d < today}
        gap_by_day[today] = sum(current.values(), Decimal(0)) / len(current)
        risks_by_day = {d: v for d, v in risks_by_day.items() if d < today}
        risks_by_day[today] = risks[0].risks_total if risks else 0
    gap_days, risk_days = sorted(gap_by_day), sorted(risks_by_day)
    gap_chart = _chart(
        labels=[_day_label(d) for d in gap_days],
        y_label="Average gap (%)",
        percent=True,
        series=[
            (
                "Average gap, current roles (%)",
                [round(float(gap_by_day[d]), 2) for d in gap_days],
            )
        ],
    )
    risks_chart = _chart(
        labels=[_day_label(d) for d in risk_days],
        y_label="Skills at risk",
        percent=False,
        series=[("Bus-factor risks", [risks_by_day[d] for d in risk_days])],
    )
    return {
        "teams": team_rows,
        "roles": role_rows,
        "risks": risks,
        # Only with history: a lone live point is no trend.
        "gap_chart": gap_chart if len(gap_days) > 1 else None,
        "risks_chart": risks_chart if len(risk_days) > 1 else None,
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
