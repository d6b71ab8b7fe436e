"""The gap report's team sheets are read set-based (``reports.export_data``) rather than through
``reports.selectors.team_matrix`` team by team; they must say exactly what the selector says, for
every team of a realistic organisation: sub-teams, several teams per person, people who left,
people without a role, skills without a category or archived, every rating source, "not
applicable" before and after a level, validations superseded by a newer self rating, reviews,
and a team whose people's roles require nothing. On PostgreSQL both ways of reading the levels are held to
it (the recompute's table of effective levels, and the pages' loader that SQLite uses)."""

from __future__ import annotations

import io
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Organisation
from reports import export_data, exports
from reports.export_data import sheet_from_matrix, team_matrix_sheets
from reports.recompute import recompute_organisation
from reports.selectors import team_matrix
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.models import Rating, RatingSource, Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Team
from tests.conftest import World
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.skills.factories import RatingFactory, SkillCategoryFactory, SkillFactory

pytestmark = pytest.mark.django_db

SOURCES = [RatingSource.SELF, RatingSource.SELF, RatingSource.IMPORT, RatingSource.MANAGER]


def _organisation(world: World, seed: int) -> Organisation:
    """Teams three deep (two roots), 36 people over them, one team whose people hold no role,
    four roles over eleven skills, and a history of ratings of every kind."""
    rng = random.Random(seed)
    organisation = world.organisation
    now = timezone.now()
    with organisation_context(organisation):
        categories = [SkillCategoryFactory(organisation=organisation) for _ in range(3)]
        skills = [
            SkillFactory(
                organisation=organisation,
                name=f"Skill {i:02d}",
                category=categories[i % 4] if i % 4 < 3 else None,  # some without a category
                is_archived=i == 10,
            )
            for i in range(11)
        ]
        roles = []
        for r in range(4):
            role = RoleProfile.objects.create(organisation=organisation, name=f"Role {r}")
            for skill in rng.sample(skills, 4):
                RoleRequirement.objects.create(
                    organisation=organisation,
                    role=role,
                    skill=skill,
                    target_level=rng.randint(0, 5),
                    weight=Decimal(rng.choice(["0.5", "1", "2"])),
                )
            roles.append(role)
        platform = TeamFactory(organisation=organisation, name="Platform")
        data = TeamFactory(organisation=organisation, name="Data", parent=platform)
        infra = TeamFactory(organisation=organisation, name="Infra", parent=platform)
        storage = TeamFactory(organisation=organisation, name="Storage", parent=infra)
        sales = TeamFactory(organisation=organisation, name="Sales")
        emea = TeamFactory(organisation=organisation, name="Sales EMEA", parent=sales)
        guild = TeamFactory(organisation=organisation, name="Guild")  # nobody holds a role
        teams = [platform, data, infra, storage, sales, emea]
        for n in range(36):
            person = PersonFactory(
                organisation=organisation,
                # Names whose case and the database's collation may order differently (but
                # never equal once lower-cased: the selector leaves such ties unordered).
                name=rng.choice(["alex", "Alex", "Bo", "bo", "Chen", "dana", "Eli"]) + f" {n}",
                is_active=n % 11 != 5,
            )
            for team in rng.sample(teams, rng.choice([1, 1, 1, 2])):
                TeamMembershipFactory(organisation=organisation, team=team, person=person)
            if n % 7 == 0:
                TeamMembershipFactory(organisation=organisation, team=guild, person=person)
            elif n % 9 != 0:  # some hold no role at all
                RoleAssignment.objects.create(
                    organisation=organisation, person=person, role=rng.choice(roles)
                )
                if n % 3 == 0:
                    RoleAssignment.objects.create(
                        organisation=organisation,
                        person=person,
                        role=rng.choice(roles),
                        kind=RoleAssignment.Kind.TARGET,
                    )
            for skill in rng.sample(skills, rng.randint(0, 8)):
                moment = now - timedelta(days=rng.randint(0, 500))
                for _ in range(rng.randint(1, 4)):
                    not_applicable = rng.random() < 0.2
                    RatingFactory(
                        organisation=organisation,
                        person=person,
                        skill=skill,
                        level=None if not_applicable else rng.randint(0, 5),
                        not_applicable=not_applicable,
                        source=rng.choice(SOURCES),
                        # Some on the same moment, so that the id breaks the tie.
                        rated_at=moment,
                    )
                    moment += timedelta(days=rng.choice([0, 1, 100, 200]))
                if rng.random() < 0.3:
                    RatingFactory(
                        organisation=organisation,
                        person=person,
                        skill=skill,
                        level=None,
                        not_applicable=True,
                        source=RatingSource.REVIEW,
                        rated_at=moment + timedelta(days=1),
                    )
    assert recompute_organisation(organisation_id=organisation.pk)
    return organisation


def _teams(organisation: Organisation) -> list[Team]:
    return list(Team.objects.filter(organisation=organisation).order_by("name"))


def _by_selector(organisation: Organisation) -> list:
    return [
        sheet_from_matrix(team_matrix(organisation=organisation, team=team))
        for team in _teams(organisation)
    ]


@pytest.fixture(params=["table", "loader"])
def levels(request, monkeypatch) -> str:
    """Which way the cells' levels are read; the table needs PostgreSQL."""
    if request.param == "table":
        if connection.vendor != "postgresql":
            pytest.skip("the effective-level table is PostgreSQL's")
    else:
        monkeypatch.setattr(export_data, "levels_from_table", lambda: False)
    return request.param


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_team_sheets_say_what_the_team_matrix_says(org_a, levels, seed):
    organisation = _organisation(org_a, seed)
    with organisation_context(organisation):
        expected = _by_selector(organisation)
        sheets = list(team_matrix_sheets(organisation=organisation, teams=_teams(organisation)))
    assert [s.team.name for s in sheets] == [s.team.name for s in expected]
    for sheet, wanted in zip(sheets, expected, strict=True):
        assert sheet.columns == wanted.columns, sheet.team.name
        assert sheet.rows == wanted.rows, sheet.team.name
    # The organisation exercises what it should: "n/a" and 0 cells, people of two teams, a
    # sheet of the skills people rated (nobody's role requires anything), and one without people.
    values = {value for s in sheets for r in s.rows for _, value in r.cells}
    assert {export_data.NOT_APPLICABLE, 0} <= values
    assert any(s.team.name == "Guild" and s.columns for s in sheets)


def test_sheets_are_the_same_whatever_the_batches(org_a, levels, monkeypatch):
    organisation = _organisation(org_a, 4)
    with organisation_context(organisation):
        whole = list(team_matrix_sheets(organisation=organisation, teams=_teams(organisation)))
        monkeypatch.setattr(export_data, "BATCH_PEOPLE", 1)
        one_by_one = list(team_matrix_sheets(organisation=organisation, teams=_teams(organisation)))
    assert one_by_one == whole


def test_not_applicable_is_decided_by_the_rule_not_by_the_table(org_a, levels):
    """The table counts "not applicable" as 0; the sheet tells them apart, as the rule does."""
    organisation = org_a.organisation
    now = timezone.now()
    with organisation_context(organisation):
        skills = {
            name: SkillFactory(organisation=organisation, name=name)
            for name in ("Zero", "Was n/a", "Now n/a", "Tied", "Validated n/a", "Reviewed")
        }
        role = RoleProfile.objects.create(organisation=organisation, name="Every skill")
        for skill in skills.values():
            RoleRequirement.objects.create(
                organisation=organisation, role=role, skill=skill, target_level=3
            )
        team = TeamFactory(organisation=organisation, name="Edge cases")
        person = PersonFactory(organisation=organisation, name="Pat")
        TeamMembershipFactory(organisation=organisation, team=team, person=person)
        RoleAssignment.objects.create(organisation=organisation, person=person, role=role)

        def rate(skill: str, level: int | None, days: int, source=RatingSource.SELF) -> None:
            RatingFactory(
                organisation=organisation,
                person=person,
                skill=skills[skill],
                level=level,
                not_applicable=level is None,
                source=source,
                rated_at=now - timedelta(days=days),
            )

        rate("Zero", 0, 5)
        rate("Was n/a", None, 10)
        rate("Was n/a", 0, 5)  # a level since: 0, not n/a
        rate("Now n/a", 2, 10)
        rate("Now n/a", None, 5)
        rate("Tied", 0, 5)
        rate("Tied", None, 5)  # the same moment: the later write wins
        rate("Validated n/a", None, 10, RatingSource.MANAGER)
        rate("Validated n/a", 4, 5)  # newer self rating, within the review period: the manager's
        rate("Reviewed", 0, 10)
        rate("Reviewed", None, 5, RatingSource.REVIEW)  # a review never chooses a level
    recompute_organisation(organisation_id=organisation.pk)
    with organisation_context(organisation):
        (sheet,) = team_matrix_sheets(organisation=organisation, teams=[team])
        expected = sheet_from_matrix(team_matrix(organisation=organisation, team=team))
    assert sheet == expected
    cells = {sheet.columns[i].name: value for i, value in sheet.rows[0].cells}
    assert cells == {
        "Zero": 0,
        "Was n/a": 0,
        "Now n/a": "n/a",
        "Tied": "n/a",
        "Validated n/a": "n/a",
        "Reviewed": 0,
    }


def test_team_sheets_read_a_fixed_number_of_queries_whatever_the_number_of_people(org_a, levels):
    organisation = _organisation(org_a, 5)

    def queries() -> int:
        with organisation_context(organisation):
            teams = [t for t in _teams(organisation) if t.name != "Guild"]  # rated only: selector
            with CaptureQueriesContext(connection) as captured:
                list(team_matrix_sheets(organisation=organisation, teams=teams))
        return len(captured)

    few = queries()
    with organisation_context(organisation):
        role = RoleProfile.objects.get(name="Role 0")
        skill = Skill.objects.get(name="Skill 00")
        team = Team.objects.get(name="Storage")
        for n in range(30):
            person = PersonFactory(organisation=organisation, name=f"Extra {n}")
            TeamMembershipFactory(organisation=organisation, team=team, person=person)
            RoleAssignment.objects.create(organisation=organisation, person=person, role=role)
            RatingFactory(organisation=organisation, person=person, skill=skill, level=n % 6)
    recompute_organisation(organisation_id=organisation.pk)
    assert queries() == few


def _old_layout(organisation: Organisation, team: Team) -> list[tuple]:
    """A team's sheet as the report wrote it from the selector before (values only)."""
    matrix = team_matrix(organisation=organisation, team=team)
    header = ("Person", "Current role", "Gap %", *(c.skill.name for c in matrix.columns))
    rows = [header]
    for row in matrix.rows:
        rows.append(
            (
                row.person.name,
                row.role.name if row.role else None,
                float(row.gap.gap) if row.gap else None,
                *("n/a" if c.not_applicable else (c.level if c.rated else None) for c in row.cells),
            )
        )
    width = len(header)
    rows.append((None,) * width)
    for label, value in (
        ("Team target", lambda c: c.target),
        ("Coverage (at or above target)", lambda c: c.coverage),
        ("Bus factor ≤ 1", lambda c: "yes" if c.bus_factor_risk else "no"),
    ):
        rows.append(
            (
                label,
                None,
                None,
                *(value(c.coverage) if c.coverage else None for c in matrix.columns),
            )
        )
    return rows


def test_the_workbooks_team_sheets_hold_the_selectors_matrices(org_a, levels):
    organisation = _organisation(org_a, 6)
    with organisation_context(organisation):
        teams = _teams(organisation)
        scope = exports.Scope(True, [], frozenset(t.pk for t in teams))
        data, _ = exports.gap_report_write(organisation=organisation, scope=scope, fmt="xlsx")
        expected = {f"Team – {t.name}": _old_layout(organisation, t) for t in teams}
    workbook = load_workbook(io.BytesIO(data))
    for title, rows in expected.items():
        sheet = workbook[title]
        width = len(rows[0])
        got = [
            tuple(r) for r in sheet.iter_rows(max_col=width, max_row=len(rows), values_only=True)
        ]
        assert got == rows, title
        assert sheet.max_row == len(rows), title  # nothing after the bus-factor row


def test_rating_rows_of_another_organisation_never_reach_a_sheet(org_a, org_b, levels):
    organisation = _organisation(org_a, 7)
    other = _organisation(org_b, 7)  # the same names, teams and skills, other ratings
    with organisation_context(other):
        Rating.objects.filter(organisation=other).update(level=5, not_applicable=False)
    with organisation_context(organisation):
        expected = _by_selector(organisation)
        sheets = list(team_matrix_sheets(organisation=organisation, teams=_teams(organisation)))
    assert sheets == expected
