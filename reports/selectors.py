"""Reads of the reports domain. Each takes the organisation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Avg,
    BigIntegerField,
    Exists,
    Expression,
    F,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.permissions import Perm
from accounts.views_base import Tenant
from endorsements.selectors import endorsement_counts
from reports import gaps
from reports.inputs import load_inputs, requirements_load, team_members
from reports.members import levels_for_gap, members_build
from reports.models import (
    GapScore,
    GapSnapshot,
    TeamSkillCoverage,
    TeamSnapshot,
    results_as_of,
)
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from roles.selectors import CertificationCheck, role_certification_checks
from skills.levels import Effective
from skills.models import Skill, SkillCategory
from skills.selectors.levels import effective_levels
from skillsmap.core.models import Job
from skillsmap.core.rows import fetch_rows
from teams.hierarchy import team_subtree_ids, team_tree_for, teams_visible_to
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


# People per page of the team matrix page. A team of up to this many is one page (the P4 measure's
# 200-person team is shown whole); a 1,000-person parent team is five (BENCHMARKS.md, P4).
MATRIX_PAGE_SIZE = 200


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
class StoredGap:
    """A person's stored gap in their current role (``GapScore.gap``), read with the person."""

    gap: Decimal


@dataclass(frozen=True)
class MatrixRow:
    person: Person
    role: RoleProfile | None
    # Stored for the person's current role; computed live (``gaps.person_gap``) for a lens.
    gap: StoredGap | gaps.PersonGap | None
    cells: list[MatrixCell]


class MatrixChoice(NamedTuple):
    """A skill the matrix can be narrowed to, by id and name (a tuple: the list is the whole
    framework, read on every visit)."""

    pk: int
    name: str


@dataclass(frozen=True)
class MatrixChoices:
    """What the matrix's filters offer, each list by name: the role profiles and skill categories
    (ids and names loaded) and every skill of the framework that is not archived."""

    roles: list[RoleProfile]
    categories: list[SkillCategory]
    skills: list[MatrixChoice]
    # skill → (its place in ``skills``, its category), for the columns (skills of this list)
    skill_place: dict[int, tuple[int, int | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class EndorsedAtLeast:
    """The matrix's endorsement filter (#16): only the people with at least ``times`` visible
    endorsements in the skill ``skill_id`` (``endorsements.selectors.endorsement_counts``)."""

    skill_id: int
    times: int


@dataclass(frozen=True)
class MatrixEndorsedFilter:
    """An ``EndorsedAtLeast`` the matrix applied, with its skill's name for the page."""

    skill: MatrixChoice
    times: int


class PageRange:
    """The "201–400 of 1,000" of a page: a page's ``rows`` from position ``offset`` of the whole
    order (the team matrix's people, the dashboard's teams)."""

    rows: Sequence[object]
    offset: int

    @property
    def first_shown(self) -> int:
        """The 1-based position of the page's first row."""
        return self.offset + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return self.offset + len(self.rows)


@dataclass(frozen=True)
class Matrix(PageRange):
    team: Team
    team_ids: list[int]
    columns: list[MatrixColumn]
    # This page's rows, in the chosen order; every row when the matrix is not paged.
    rows: list[MatrixRow]
    computed_at: datetime | None
    fresh: bool
    # None when a paged matrix leaves them to ``team_mentor_pairs_for``.
    mentor_pairs: list[MentorLine] | None
    # The role every figure is measured against, when the lens chose one; None: each member's own.
    lens: RoleProfile | None = None
    # No column came from a role (nobody has one, or their roles require nothing), so the columns
    # are the skills the people rated: the page says so rather than showing "0 skills".
    rated_only: bool = False
    # The whole team in the chosen order (only those the endorsement filter keeps, with one);
    # ``rows`` are ``people[offset:offset + len(rows)]``.
    people: list[Person] = field(default_factory=list)
    page: int = 1
    pages: int = 1
    offset: int = 0
    choices: MatrixChoices | None = None
    # The endorsement filter, when one applied; ``team_people`` is the whole team, in order.
    endorsed: MatrixEndorsedFilter | None = None
    team_people: list[Person] = field(default_factory=list)

    @property
    def people_total(self) -> int:
        return len(self.people)

    @property
    def page_links(self) -> list[int | None]:
        """The page numbers the pager links: the first, the last and two either side of this
        one, with ``None`` where numbers are left out (an organisation-wide team has hundreds)."""
        near = {1, self.pages, *range(self.page - 2, self.page + 3)}
        links: list[int | None] = []
        for number in sorted(n for n in near if 1 <= n <= self.pages):
            if links and number - (links[-1] or 0) > 1:
                links.append(None)
            links.append(number)
        return links


M = TypeVar("M", bound=Model)


def _loaded(model: type[M], **values: Any) -> M:
    """An instance of ``model`` with only these fields loaded, from a row read as values: the
    others load on access, as after ``.only()`` (``Model.from_db`` wants them in field order)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(None, names, [values[name] for name in names])


def _matrix_team(
    *, organisation: Organisation, tenant: Tenant, team_id: int
) -> tuple[Team, list[int]]:
    """A team whose matrix the caller may read, and it with its sub-teams, from one read of the
    tree (``teams.hierarchy.team_tree_for``): 404 for an unknown or another organisation's team,
    403 for one that is not theirs (as ``team_get_for``)."""
    tree = team_tree_for(organisation=organisation, membership=tenant.membership)
    if team_id not in tree.names:
        raise Http404("No such team.")
    if not tree.scope.includes(team_id):
        raise PermissionDenied("Only the team's managers and HR see its matrix.")
    team = _loaded(
        Team,
        id=team_id,
        organisation_id=organisation.pk,
        name=tree.names[team_id],
        parent_id=dict(tree.pairs)[team_id],
    )
    return team, tree.subtree(team_id)


def team_matrix_for(
    *,
    organisation: Organisation,
    tenant: Tenant,
    team_id: int,
    role_id: int | None = None,
    category_id: int | None = None,
    skill_ids: list[int] | None = None,
    sort: str = "person",
    page: int | None = None,
    endorsed: EndorsedAtLeast | None = None,
) -> Matrix:
    """``team_matrix`` of a team the caller may read (``_matrix_team``)."""
    team, team_ids = _matrix_team(organisation=organisation, tenant=tenant, team_id=team_id)
    return _team_matrix(
        organisation=organisation,
        team=team,
        team_ids=team_ids,
        role_id=role_id,
        category_id=category_id,
        skill_ids=skill_ids,
        sort=sort,
        page=page,
        endorsed=endorsed,
    )


def team_matrix(
    *,
    organisation: Organisation,
    team: Team,
    role_id: int | None = None,
    category_id: int | None = None,
    skill_ids: list[int] | None = None,
    sort: str = "person",
    page: int | None = None,
    now: datetime | None = None,
    endorsed: EndorsedAtLeast | None = None,
) -> Matrix:
    """People × skills of a team and its sub-teams, in a fixed number of queries whatever the size.

    Columns: the skills the members' current roles require (or one role's, with ``role_id``),
    narrowed by category or an explicit list; when no role requires anything, the skills the
    people rated. Cells: effective level, staleness, and the target measured against.

    Without a lens the totals come from the materialised tables (GapScore, TeamSkillCoverage), so
    the page shows the same numbers as the exports, and says how fresh they are. A lens
    (``role_id``; another organisation's role is a 404) asks "how would this team do against that
    role?": every figure (cell shortfalls, gaps, team targets, coverage, bus factor) is recomputed
    live through the gap engine, as if every member held that role.

    ``page`` (from 1) keeps ``MATRIX_PAGE_SIZE`` rows; ``None`` keeps every row (the exports, the
    API). The order and every figure are the whole team's, worked out before the page is cut: the
    columns, gaps, team targets, coverage and bus factor are the same on every page, and each page
    holds the next rows of the one order. Mentor pairs are the whole team's too; when the levels
    read are only the page's (a paged matrix without a lens), they are left to
    ``team_mentor_pairs_for`` and ``mentor_pairs`` is ``None``.

    ``endorsed`` keeps only the people with at least that many visible endorsements in a skill
    of the framework (one more query; a skill that is not one of the organisation's, or is
    archived, is no filter, as in the ``skill_ids`` list). It is applied after the figures and
    the order, before the page is cut: levels, gaps, team targets, coverage and mentor pairs
    stay the whole team's, and the pages are slices of the people it keeps.
    """
    return _team_matrix(
        organisation=organisation,
        team=team,
        team_ids=team_subtree_ids(organisation=organisation, team_ids=[team.pk]),
        role_id=role_id,
        category_id=category_id,
        skill_ids=skill_ids,
        sort=sort,
        page=page,
        now=now,
        endorsed=endorsed,
    )


@dataclass(frozen=True)
class _Frame:
    """What every view of a team's matrix starts from: the filter choices, the lens, the active
    people with their current roles, the roles' targets and the columns' skills."""

    choices: MatrixChoices
    roles: dict[int, RoleProfile]
    lens: RoleProfile | None
    people: list[Person]
    current_role: dict[int, int | None]
    requirements: dict[int, list[gaps.Requirement]]
    targets: dict[int, dict[int, int]]  # role → skill → target
    skills: list[Skill]
    rated_only: bool
    # Already read when nothing is required (the columns are what the people rated): every
    # member's levels in every skill.
    effective: dict[tuple[int, int], Effective] | None


def _matrix_frame(
    *,
    organisation: Organisation,
    team_ids: list[int],
    role_id: int | None,
    category_id: int | None,
    skill_ids: list[int] | None,
    now: datetime | None,
) -> _Frame:
    choices = _matrix_choices(organisation)
    roles = {role.pk: role for role in choices.roles}
    lens = roles.get(role_id) if role_id else None
    if role_id and lens is None:
        raise Http404("No such role profile.")
    people = _matrix_people(organisation, team_ids, stored_gaps=lens is None)
    current_role: dict[int, int | None] = {
        p.pk: getattr(p, "current_role_id", None) for p in people
    }
    role_ids = {lens.pk} if lens else {r for r in current_role.values() if r is not None}
    # The engine's own loader, so a lens measures exactly what the recompute does.
    requirements = requirements_load(organisation, role_ids=role_ids)
    targets = {r_id: {r.skill_id: r.target for r in reqs} for r_id, reqs in requirements.items()}
    required = {s for by_skill in targets.values() for s in by_skill}
    effective = None
    if skill_ids:
        wanted = set(skill_ids)
    elif required:
        wanted = required
    else:
        # Nothing is required: show what the people rated (one read, reused for the cells).
        effective = effective_levels(
            organisation=organisation, person_ids=[p.pk for p in people], now=now
        )
        wanted = {s for (_, s), eff in effective.items() if eff.rated_at}
    return _Frame(
        choices=choices,
        roles=roles,
        lens=lens,
        people=people,
        current_role=current_role,
        requirements=requirements,
        targets=targets,
        skills=_column_skills(choices, wanted, category_id),
        rated_only=not skill_ids and not required,
        effective=effective,
    )


def _team_matrix(
    *,
    organisation: Organisation,
    team: Team,
    team_ids: list[int],
    role_id: int | None,
    category_id: int | None,
    skill_ids: list[int] | None,
    sort: str,
    page: int | None,
    now: datetime | None = None,
    endorsed: EndorsedAtLeast | None = None,
) -> Matrix:
    frame = _matrix_frame(
        organisation=organisation,
        team_ids=team_ids,
        role_id=role_id,
        category_id=category_id,
        skill_ids=skill_ids,
        now=now,
    )
    lens, people, skills, effective = frame.lens, frame.people, frame.skills, frame.effective
    scores: dict[int, StoredGap | gaps.PersonGap]
    coverage: dict[int, TeamSkillCoverage | gaps.SkillCoverage]
    if lens:
        # A lens's gaps count every requirement of the role, shown or narrowed away, and every
        # member's: its figures, and so the order by gap, are computed here, over the whole team.
        lens_requirements = frame.requirements.get(lens.pk, [])
        if effective is None:
            effective = effective_levels(
                organisation=organisation,
                person_ids=[p.pk for p in people],
                skill_ids={s.pk for s in skills} | {r.skill_id for r in lens_requirements},
                now=now,
            )
        lens_scores, lens_coverage = _lens_figures(people, lens_requirements, effective)
        scores, coverage = dict(lens_scores), dict(lens_coverage)
    else:
        coverage = {
            c.skill_id: c
            for c in TeamSkillCoverage.objects.filter(
                organisation=organisation, team=team, skill_id__in=[s.pk for s in skills]
            )
            # Who covers each skill is a list of ids as long as the team (1,000 in XL): the
            # matrix shows the counts only.
            .defer("covered_by")
        }
        scores = {
            p.pk: StoredGap(gap)
            for p in people
            if (gap := getattr(p, "stored_gap", None)) is not None
        }
    # The order is the whole team's, so that the pages are slices of it.
    if sort == "gap":
        people.sort(key=lambda p: (-(s.gap if (s := scores.get(p.pk)) else 0), p.name))
    else:
        people.sort(key=lambda p: p.name.lower())
    columns = [MatrixColumn(skill, coverage.get(skill.pk)) for skill in skills]
    if sort in ("coverage", "skill"):
        columns.sort(
            key=lambda col: (
                (c.coverage if (c := col.coverage) else 0) if sort == "coverage" else 0,
                col.skill.name.lower(),
            )
        )
    team_people = people
    applied = _endorsed_filter(frame.choices, endorsed)
    if applied:
        counts = endorsement_counts(
            organisation=organisation,
            person_ids=[p.pk for p in people],
            skill_ids=[applied.skill.pk],
        )
        people = [p for p in people if counts.get((p.pk, applied.skill.pk), 0) >= applied.times]
    number, pages, offset, shown = _page_of(people, page)
    # A team that would be one page unfiltered reads everyone's levels, as it does without the
    # endorsement filter, for its mentor pairs.
    read = team_people if len(_page_of(team_people, page)[3]) == len(team_people) else shown
    if effective is None:
        # The cells need the page's people only: what the page costs follows its size, not the
        # team's (BENCHMARKS.md, P4).
        effective = effective_levels(
            organisation=organisation,
            person_ids=[p.pk for p in read],
            skill_ids={s.pk for s in skills},
            now=now,
        )
    # Mentor pairs are the whole team's: from these levels when they are everyone's, else from
    # a request of their own (``team_mentor_pairs_for``).
    whole_team = read is team_people or frame.effective is not None or lens is not None
    return Matrix(
        team=team,
        team_ids=team_ids,
        columns=columns,
        rows=_matrix_rows(
            shown,
            skill_ids=[col.skill.pk for col in columns],
            effective=effective,
            targets=frame.targets,
            current_role=frame.current_role,
            lens_id=lens.pk if lens else None,
            roles=frame.roles,
            scores=scores,
        ),
        computed_at=organisation.computed_at,
        fresh=organisation.results_are_fresh,
        mentor_pairs=_mentor_lines(team_people, skills, effective) if whole_team else None,
        lens=lens,
        rated_only=frame.rated_only,
        people=people,
        page=number,
        pages=pages,
        offset=offset,
        choices=frame.choices,
        endorsed=applied,
        team_people=team_people,
    )


def _endorsed_filter(
    choices: MatrixChoices, endorsed: EndorsedAtLeast | None
) -> MatrixEndorsedFilter | None:
    """The filter with its skill, if that is one the matrix offers: an unknown, archived or
    another organisation's skill is no filter at all, the same for each."""
    if endorsed is None or endorsed.times < 1:
        return None
    place = choices.skill_place.get(endorsed.skill_id)
    if place is None:
        return None
    return MatrixEndorsedFilter(choices.skills[place[0]], endorsed.times)


def team_mentor_pairs_for(
    *,
    organisation: Organisation,
    tenant: Tenant,
    team_id: int,
    role_id: int | None = None,
    category_id: int | None = None,
    skill_ids: list[int] | None = None,
) -> tuple[Team, list[MentorLine]]:
    """The mentor pairs of a team the caller may read, in the skills its matrix shows with these
    filters: the whole team's, for a paged matrix, which reads only its page's levels."""
    team, team_ids = _matrix_team(organisation=organisation, tenant=tenant, team_id=team_id)
    frame = _matrix_frame(
        organisation=organisation,
        team_ids=team_ids,
        role_id=role_id,
        category_id=category_id,
        skill_ids=skill_ids,
        now=None,
    )
    effective = frame.effective
    if effective is None:
        effective = effective_levels(
            organisation=organisation,
            person_ids=[p.pk for p in frame.people],
            skill_ids={s.pk for s in frame.skills},
        )
    return team, _mentor_lines(frame.people, frame.skills, effective)


def _page_of(people: list[Person], page: int | None) -> tuple[int, int, int, list[Person]]:
    """(page number, pages, offset, the page's people); a number past either end is the nearest
    page, so a link kept from a larger team still shows something."""
    if page is None:
        return 1, 1, 0, people
    size = MATRIX_PAGE_SIZE
    pages = max(1, -(-len(people) // size))
    number = min(max(page, 1), pages)
    offset = (number - 1) * size
    return number, pages, offset, people[offset : offset + size]


def _matrix_people(
    organisation: Organisation, team_ids: list[int], *, stored_gaps: bool
) -> list[Person]:
    """The active people of these teams, each with their current role's id (``current_role_id``)
    and, with ``stored_gaps``, their stored gap in it (``stored_gap``), in one statement."""
    people = (
        Person.objects.filter(
            organisation=organisation,
            is_active=True,
            pk__in=TeamMembership.objects.filter(
                organisation=organisation, team_id__in=team_ids
            ).values("person_id"),
        )
        # The matrix names people and links to them: a 1,000-person team's other columns (its
        # dates above all) would cost more to load than its names.
        .only("id", "organisation_id", "name")
    ).annotate(
        current_role_id=Subquery(
            RoleAssignment.objects.filter(
                organisation=organisation,
                person_id=OuterRef("pk"),
                kind=RoleAssignment.Kind.CURRENT,
            ).values("role_id")[:1]
        )
    )
    if stored_gaps:
        people = people.annotate(
            stored_gap=Subquery(
                GapScore.objects.filter(
                    organisation=organisation,
                    person_id=OuterRef("pk"),
                    kind=RoleAssignment.Kind.CURRENT,
                )
                .order_by("-computed_at")
                .values("gap")[:1]
            )
        )
    return list(people.order_by())


def _matrix_choices(organisation: Organisation) -> MatrixChoices:
    """The filters' role profiles, categories and skills in one statement: a UNION of the three
    tables (ids and names), ordered by name as each list was when it was a query of its own."""

    def part(rows: QuerySet[Any], number: int, category: Expression | F) -> QuerySet[Any]:
        return (
            rows.order_by()
            .annotate(part=Value(number), ident=F("pk"), label=F("name"), heading=category)
            .values_list("part", "ident", "label", "heading")
        )

    # Typed, since PostgreSQL takes an untyped NULL for text and refuses the skills' ids after it.
    no_category = Cast(Value(None), BigIntegerField())
    combined = part(RoleProfile.objects.filter(organisation=organisation), 0, no_category).union(
        part(SkillCategory.objects.filter(organisation=organisation), 1, no_category),
        part(
            Skill.objects.filter(organisation=organisation, is_archived=False),
            2,
            F("category_id"),
        ),
        all=True,
    )
    # Without the ORM's per-row converters, which cost a small team's page more than the query
    # (2,600 rows in XL).
    rows = list(fetch_rows(combined.order_by("part", "label")))
    skills = [(pk, name, category) for part, pk, name, category in rows if part == 2]
    return MatrixChoices(
        roles=[_loaded(RoleProfile, id=pk, name=name) for part, pk, name, _ in rows if part == 0],
        categories=[
            _loaded(SkillCategory, id=pk, name=name) for part, pk, name, _ in rows if part == 1
        ],
        skills=[MatrixChoice(pk, name) for pk, name, _ in skills],
        skill_place={pk: (i, category) for i, (pk, _, category) in enumerate(skills)},
    )


def _column_skills(
    choices: MatrixChoices, wanted: set[int], category_id: int | None
) -> list[Skill]:
    """The skills of ``wanted`` that are not archived (and in the category, when one is chosen),
    by category then name, each with its name and category loaded."""
    categories = {c.pk: c for c in choices.categories}
    order: dict[int | None, int] = {c.pk: i for i, c in enumerate(choices.categories)}
    kept = []
    for skill_id in wanted:
        known = choices.skill_place.get(skill_id)  # archived and unknown skills are not listed
        if known is None:
            continue
        place, category = known
        if category_id is None or category == category_id:
            # Uncategorised skills last, where PostgreSQL sorts their NULL "category__name".
            kept.append((order.get(category, len(order)), place, category))
    skills = []
    for _, place, category in sorted(kept):
        choice = choices.skills[place]
        skill = _loaded(Skill, id=choice.pk, name=choice.name, category_id=category)
        skill.category = categories.get(category) if category is not None else None
        skills.append(skill)
    return skills


def _matrix_rows(
    people: list[Person],
    *,
    skill_ids: list[int],
    effective: dict[tuple[int, int], Effective],
    targets: dict[int, dict[int, int]],
    current_role: dict[int, int | None],
    lens_id: int | None,
    roles: dict[int, RoleProfile],
    scores: dict[int, StoredGap | gaps.PersonGap],
) -> list[MatrixRow]:
    """The rows of these people, one cell per skill. Cells with the same values are one object:
    a 200-person page has 100,000 cells of a few dozen kinds, and the template renders each kind
    once (``reports/templatetags/matrix.py``). A row starts as its role's unrated cells and takes
    the person's ratings, so its cost follows what they rated rather than the columns."""
    column = {skill_id: i for i, skill_id in enumerate(skill_ids)}
    shown = {p.pk for p in people}
    levels: dict[int, list[tuple[int, Effective]]] = {}
    for (person_id, skill_id), eff in effective.items():
        if person_id in shown and skill_id in column:
            levels.setdefault(person_id, []).append((skill_id, eff))
    kinds: dict[tuple[int | None, bool, bool, bool, bool, int | None], MatrixCell] = {}

    def kind(*key: Any) -> MatrixCell:
        cell = kinds.get(key)
        if cell is None:
            cell = kinds[key] = MatrixCell(*key)
        return cell

    unrated: dict[int | None, list[MatrixCell]] = {}  # measured role → a row of unrated cells
    rows = []
    for person in people:
        own = current_role.get(person.pk)
        measured = lens_id or own
        role_targets = targets.get(measured, {}) if measured is not None else {}
        if measured not in unrated:
            # Unrated shows as level 0 against the role's target.
            unrated[measured] = [
                kind(0, False, False, False, False, role_targets.get(s)) for s in skill_ids
            ]
        cells = list(unrated[measured])
        for skill_id, eff in levels.get(person.pk, ()):
            cells[column[skill_id]] = kind(
                eff.level,  # None when not applicable
                eff.not_applicable,
                eff.rated_at is not None,
                eff.stale,
                eff.validated,
                role_targets.get(skill_id),
            )
        rows.append(
            MatrixRow(person, roles.get(own) if own else None, scores.get(person.pk), cells)
        )
    return rows


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
        for p in gaps.mentor_pairs(members, limit=MENTOR_PAIRS_SHOWN)
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
    # When the score was last confirmed (``reports.models.results_as_of``).
    as_of: datetime | None = None


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
            results_as_of(s.computed_at, organisation),
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


# Teams per page of the dashboard's "Gap by team" table: the page renders this many teams,
# whatever the organisation's size (BENCHMARKS.md, P8).
DASHBOARD_TEAMS_PAGE_SIZE = 50


@dataclass(frozen=True)
class DashboardTeams(PageRange):
    """One page of the dashboard's team table, ordered over every team of the organisation."""

    # {"team", "people" (its own active members), "with_role" (those with a current-role gap),
    # "avg_gap" (their mean, rounded to 0.1; None without one)}: dicts, as ``reports.home`` reads.
    rows: list[dict[str, Any]]
    page: int
    pages: int
    total: int  # teams in the organisation
    offset: int


# The dashboard's gap figures in one statement, one read of the current-role gaps (``cur``):
#
# - a page of teams, each with its own active members (no sub-teams), how many of them have a
#   current-role gap and the sum of those gaps. The figures shown come from ``gaps.mean_gap`` over
#   these sums; SQL only orders by sum / count, so that the page is a page of the whole
#   organisation's order. Teams without a mean follow, by name in any case; a page past the last
#   is the last, and the number of teams comes in the same rows;
# - per role, the number of people in it and the sum of their gaps.
#
# Sums are in hundredths (gaps are stored in hundredths): integers, exact on SQLite too, where
# decimals are floats. The order divides them as doubles, which IEEE division rounds correctly:
# equal means sort as equal (then by name) and distinct ones apart, where numeric division would
# give equal means of unequal sums different precisions. People who left are excluded by an
# anti-join on the few inactive people, not a join on every active one. ``cur`` is read twice
# from the covering index rather than materialised once (54 ms where it took 81 ms on XL). Every
# table is filtered on the organisation (row-level security applies on PostgreSQL as well).
_MEMBERSHIP, _PERSON = TeamMembership._meta.db_table, Person._meta.db_table
_GAPSCORE, _TEAM, _ROLE = GapScore._meta.db_table, Team._meta.db_table, RoleProfile._meta.db_table
_DASHBOARD_GAPS_SQL = f"""
WITH cur AS NOT MATERIALIZED (
    SELECT person_id, role_id, CAST(ROUND(gap * 100) AS INTEGER) AS hundredths
    FROM {_GAPSCORE} WHERE organisation_id = %(org)s AND kind = %(current)s
), own AS (
    SELECT m.team_id, COUNT(*) AS people, COUNT(cur.person_id) AS with_role,
           SUM(cur.hundredths) AS hundredths
    FROM {_MEMBERSHIP} m LEFT JOIN cur ON cur.person_id = m.person_id
    WHERE m.organisation_id = %(org)s AND NOT EXISTS (
        SELECT 1 FROM {_PERSON} p
        WHERE p.id = m.person_id AND p.organisation_id = %(org)s AND NOT p.is_active
    )
    GROUP BY m.team_id
), ranked AS (
    SELECT t.id, t.name, COALESCE(o.people, 0) AS people, COALESCE(o.with_role, 0) AS with_role,
           o.hundredths,
           ROW_NUMBER() OVER (
               ORDER BY CASE WHEN o.with_role > 0 THEN 0 ELSE 1 END,
                        CAST(o.hundredths AS DOUBLE PRECISION) / NULLIF(o.with_role, 0) DESC,
                        LOWER(t.name), t.name, t.id
           ) AS n,
           COUNT(*) OVER () AS teams
    FROM {_TEAM} t LEFT JOIN own o ON o.team_id = t.id
    WHERE t.organisation_id = %(org)s
)
SELECT 'team' AS row_kind, id, name, people, with_role, hundredths, n, teams FROM ranked
WHERE (%(offset)s < teams AND n > %(offset)s AND n <= %(offset)s + %(size)s)
   OR (%(offset)s >= teams AND n > (teams - 1) / %(size)s * %(size)s)
UNION ALL
SELECT 'role', r.id, r.name, COUNT(*), COUNT(*), SUM(cur.hundredths), NULL, NULL
FROM cur JOIN {_ROLE} r ON r.id = cur.role_id AND r.organisation_id = %(org)s
GROUP BY r.id, r.name
ORDER BY row_kind, n
"""  # noqa: S608  (table names from the models; every value is a bound parameter)

# Past the last page of any organisation, and small enough that its offset fits any integer
# column; a larger number in the query string is clamped to it before it reaches SQL.
_DASHBOARD_PAGE_LIMIT = 1_000_000


@dataclass(frozen=True)
class DashboardGaps:
    teams: DashboardTeams
    # {"role__id", "role__name", "people", "avg_gap" (unrounded)}, the highest average first.
    roles: list[dict[str, Any]]
    # Everyone's mean current-role gap (the live point of the trend); None when nobody has one.
    overall: Decimal | None


def _from_hundredths(value: Any) -> Decimal:
    """A sum of gaps counted in hundredths as the exact decimal (20.10 from 2010)."""
    return Decimal(int(value)).scaleb(-2)


def dashboard_gaps(*, organisation: Organisation, teams_page: int = 1) -> DashboardGaps:
    """The dashboard's gap by team (page ``teams_page`` of ``DASHBOARD_TEAMS_PAGE_SIZE`` teams,
    the highest average first, then the teams without one by name; a number past either end is
    the nearest page), gap by role and everyone's mean, from sums and counts SQL adds up."""
    size = DASHBOARD_TEAMS_PAGE_SIZE
    number = min(max(teams_page, 1), _DASHBOARD_PAGE_LIMIT)
    with connection.cursor() as cursor:
        cursor.execute(
            _DASHBOARD_GAPS_SQL,
            {
                "org": organisation.pk,
                "current": RoleAssignment.Kind.CURRENT.value,
                "offset": (number - 1) * size,
                "size": size,
            },
        )
        found = cursor.fetchall()
    team_rows: list[dict[str, Any]] = []
    by_role: list[tuple[int, str, int, Decimal]] = []
    total = offset = 0
    for kind, pk, name, people, with_role, hundredths, n, teams in found:
        if kind == "role":
            by_role.append((pk, name, int(people), _from_hundredths(hundredths)))
            continue
        if not team_rows:
            total, offset = int(teams), int(n) - 1
        average = gaps.mean_gap(_from_hundredths(hundredths or 0), int(with_role))
        team_rows.append(
            {
                "team": _loaded(Team, id=pk, organisation_id=organisation.pk, name=name),
                "people": int(people),
                "with_role": int(with_role),
                # Every team is listed: one without a member in a current role has no average,
                # and the page says why instead of leaving the reader to wonder where it went.
                "avg_gap": None if average is None else round(average, 1),
            }
        )
    role_average = {r: gaps.mean_gap(sum_, people) for r, _, people, sum_ in by_role}
    roles = [
        {"role__id": r, "role__name": name, "people": people, "avg_gap": role_average[r]}
        for r, name, people, _ in sorted(
            by_role, key=lambda row: (-(role_average[row[0]] or 0), row[1].lower(), row[0])
        )
    ]
    # Everyone's mean from the role sums: a person holds one current role (``RoleAssignment``'s
    # unique person and kind) and one current score, in it (the recompute deletes the scores of
    # roles no longer held), so the roles partition the people.
    overall = gaps.mean_gap(
        sum((sum_ for *_, sum_ in by_role), Decimal(0)), sum(people for _, _, people, _ in by_role)
    )
    return DashboardGaps(
        teams=DashboardTeams(
            rows=team_rows,
            page=offset // size + 1,
            pages=max(1, -(-total // size)),
            total=total,
            offset=offset,
        ),
        roles=roles,
        overall=overall,
    )


# Bus-factor risks the dashboard lists, fewest people at target first, then by team and skill.
DASHBOARD_RISKS_SHOWN = 200

# Per (people at target, team), in the list's order, the number of risks, how many come before
# and the total; only the groups the first ``DASHBOARD_RISKS_SHOWN`` risks fall in. One pass over
# the organisation's coverage rows counts them all, and grouping before joining the teams leaves
# the join and the sort a few thousand rows, not every risk (273,000 on XL, BENCHMARKS.md P8):
# joining and sorting every risk by team and skill name was most of the page's time.
_COVERAGE = TeamSkillCoverage._meta.db_table
_RISK_GROUPS_SQL = f"""
WITH per AS (
    SELECT c.coverage, c.team_id, COUNT(*) AS n
    FROM {_COVERAGE} c
    WHERE c.organisation_id = %(org)s AND c.bus_factor_risk
    GROUP BY c.coverage, c.team_id
), placed AS (
    SELECT per.coverage, per.team_id,
           SUM(per.n) OVER (ORDER BY per.coverage, t.name, t.id ROWS UNBOUNDED PRECEDING)
               - per.n AS before,
           SUM(per.n) OVER () AS total
    FROM per JOIN {_TEAM} t ON t.id = per.team_id AND t.organisation_id = %(org)s
)
SELECT coverage, team_id, total FROM placed WHERE before < %(shown)s
"""  # noqa: S608  (table names from the models; every value is a bound parameter)


def dashboard_risks(*, organisation: Organisation) -> tuple[list[TeamSkillCoverage], int]:
    """The first ``DASHBOARD_RISKS_SHOWN`` bus-factor risks (fewest people at target, then team
    and skill by name) with their teams and skills, and the number of all of them."""
    with connection.cursor() as cursor:
        cursor.execute(_RISK_GROUPS_SQL, {"org": organisation.pk, "shown": DASHBOARD_RISKS_SHOWN})
        groups = cursor.fetchall()
    if not groups:
        return [], 0
    # The rows of those teams up to the groups' highest coverage: any row of theirs outside the
    # groups sorts after every row inside them, which are at least as many as are shown.
    risks = list(
        TeamSkillCoverage.objects.filter(
            organisation=organisation,
            bus_factor_risk=True,
            team_id__in={team_id for _, team_id, _ in groups},
            coverage__lte=max(coverage for coverage, _, _ in groups),
        )
        .select_related("team", "skill")
        .order_by("coverage", "team__name", "skill__name")[:DASHBOARD_RISKS_SHOWN]
    )
    return risks, int(groups[0][2])


def organisation_dashboard(*, organisation: Organisation, teams_page: int = 1) -> dict[str, object]:
    """Gap by team (a page of teams) and by role, bus-factor risks, the trend and freshness, for
    hr and admins. Every figure is a sum or count SQL adds up: no row per person or per risk
    comes into Python, though the statements still read every current gap and every risk."""
    figures = dashboard_gaps(organisation=organisation, teams_page=teams_page)
    risks, risks_total = dashboard_risks(organisation=organisation)
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
    if figures.overall is not None:
        gap_by_day = {d: v for d, v in gap_by_day.items() if d < today}
        gap_by_day[today] = figures.overall
        risks_by_day = {d: v for d, v in risks_by_day.items() if d < today}
        risks_by_day[today] = risks_total
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
        "teams": figures.teams.rows,
        "team_table": figures.teams,
        "roles": figures.roles,
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
