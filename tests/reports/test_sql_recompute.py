"""The set-based recompute on PostgreSQL (``reports.sql``) restates the effective-level rule and
the gap formula in SQL. Over randomly generated organisations it must write exactly the rows of
the Python engine (``reports.recompute.recompute_python``), which is their definition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import recompute_python
from reports.sql import person_rows_sql, recompute_sql
from roles.models import RoleAssignment, RoleProfile, RoleRequirement
from skills.models import Rating, Skill
from skills.selectors.levels import review_period
from skillsmap.core.tenancy import organisation_context
from teams.models import Person, Team, TeamMembership
from tests.factories import OrganisationFactory, PersonFactory
from tests.reports.test_incremental import _results
from tests.skills.factories import SkillFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Weights with no exact binary value (1.1, 0.33) and ties of weight × shortfall (0.5 × 2 = 1 × 1).
WEIGHTS = [
    Decimal("0.5"),
    Decimal("1"),
    Decimal("1.1"),
    Decimal("0.33"),
    Decimal("2"),
    Decimal("3"),
]
T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
# Days around a 30-day review period, and repeats, so equal timestamps (the id breaks the tie)
# and a manager validation just inside and just outside the period both occur.
DAYS = [0, 0, 30, 31]


def _build(data: st.DataObject):
    draw = data.draw
    organisation = OrganisationFactory(review_period_days=30)
    with organisation_context(organisation):
        skills = [
            SkillFactory(organisation=organisation, is_archived=draw(st.integers(0, 5)) == 0)
            for _ in range(draw(st.integers(1, 6)))
        ]
        roles = [
            RoleProfile.objects.create(organisation=organisation, name=f"Role {i}")
            for i in range(draw(st.integers(1, 3)))
        ]
        for role in roles:
            for skill in draw(st.lists(st.sampled_from(skills), unique=True, max_size=len(skills))):
                RoleRequirement.objects.create(
                    organisation=organisation,
                    role=role,
                    skill=skill,
                    target_level=draw(st.integers(0, 5)),
                    weight=draw(st.sampled_from(WEIGHTS)),
                    importance=draw(st.sampled_from(["essential", "optional"])),
                )
        teams: list[Team] = []
        for i in range(draw(st.integers(1, 4))):
            parent = draw(st.sampled_from([None, *teams]))
            teams.append(
                Team.objects.create(organisation=organisation, name=f"Team {i}", parent=parent)
            )
        people = [
            PersonFactory(organisation=organisation, is_active=draw(st.integers(0, 4)) > 0)
            for _ in range(draw(st.integers(1, 7)))
        ]
        for person in people:
            for team in draw(st.lists(st.sampled_from(teams), unique=True, max_size=2)):
                TeamMembership.objects.create(organisation=organisation, team=team, person=person)
            for kind in RoleAssignment.Kind.values:
                role = draw(st.one_of(st.none(), st.sampled_from(roles)))
                if role is not None:
                    RoleAssignment.objects.create(
                        organisation=organisation, person=person, role=role, kind=kind
                    )
        # Most events fall on a few (person, skill) pairs, so that each pair has a history: self
        # and manager events, some at the same moment, some a review period apart.
        for _ in range(draw(st.integers(0, 30))):
            not_applicable = draw(st.integers(0, 9)) == 0
            Rating.objects.create(
                organisation=organisation,
                person=draw(st.sampled_from(people[:2] if draw(st.booleans()) else people)),
                skill=draw(st.sampled_from(skills[:2] if draw(st.booleans()) else skills)),
                # "review" ("Mark as reviewed") dates a rating but never chooses its level: the
                # SQL leaves it out, whatever level it records.
                source=draw(st.sampled_from(["self", "manager", "import", "review"])),
                level=None if not_applicable else draw(st.integers(0, 5)),
                not_applicable=not_applicable,
                rated_at=T0 + timedelta(days=draw(st.sampled_from(DAYS))),
            )
    return organisation


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_set_based_recompute_writes_exactly_the_rows_of_the_python_engine(data) -> None:
    organisation = _build(data)
    now, version = timezone.now(), 7
    with organisation_context(organisation):
        recompute_python(organisation, now=now, version=version)
        engine = _results(organisation)
        GapScore.objects.filter(organisation=organisation).delete()
        TeamSkillCoverage.objects.filter(organisation=organisation).delete()
        recompute_sql(
            organisation_id=organisation.pk,
            now=now,
            version=version,
            review_period=review_period(organisation),
        )
        assert _results(organisation) == engine
        stamps = set(GapScore.objects.values_list("computed_at", "inputs_version"))
        stamps |= set(TeamSkillCoverage.objects.values_list("computed_at", "inputs_version"))
        assert stamps <= {(now, version)}


EARLIER = datetime(2025, 6, 1, tzinfo=UTC)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_recompute_over_earlier_results_leaves_exactly_the_engines_rows(data) -> None:
    """The rows of an earlier run: some right, some with other figures, some missing, and some
    of assignments or (team, skill) pairs that no longer exist. The recompute must leave exactly
    the engine's rows; the ones whose figures it changed or added carry its stamp, the ones that
    were right keep theirs."""
    organisation = _build(data)
    draw = data.draw
    now, version = timezone.now(), 9
    with organisation_context(organisation):
        recompute_python(organisation, now=now, version=version)
        engine = _results(organisation)
        GapScore.objects.update(computed_at=EARLIER, inputs_version=1)
        TeamSkillCoverage.objects.update(computed_at=EARLIER, inputs_version=1)
        right: set[tuple[str, int]] = set()
        for score in GapScore.objects.all():
            fate = draw(st.sampled_from(["right", "wrong", "gone"]))
            if fate == "wrong":
                score.gap, score.met, score.missing = Decimal("99.5"), score.met + 1, []
                score.save()
            elif fate == "gone":
                score.delete()
            else:
                right.add(("gap", score.pk))
        for coverage in TeamSkillCoverage.objects.all():
            fate = draw(st.sampled_from(["right", "wrong", "gone"]))
            if fate == "wrong":
                coverage.coverage, coverage.covered_by = coverage.coverage + 1, [0]
                coverage.save()
            elif fate == "gone":
                coverage.delete()
            else:
                right.add(("coverage", coverage.pk))
        # Rows nothing produces any more: a role nobody holds, a skill nobody requires.
        stale_role = RoleProfile.objects.create(organisation=organisation, name="Retired role")
        person = PersonFactory(organisation=organisation)
        GapScore.objects.create(
            organisation=organisation, person=person, role=stale_role, kind="current",
            gap=Decimal("10"), readiness=Decimal("90"), met=0, total=1,
            computed_at=EARLIER, inputs_version=1,
        )  # fmt: skip
        team = Team.objects.filter(organisation=organisation).first()
        TeamSkillCoverage.objects.create(
            organisation=organisation, team=team, skill=SkillFactory(organisation=organisation),
            target=3, coverage=0, required_by=1, avg_shortfall=Decimal("3"),
            bus_factor_risk=True, computed_at=EARLIER, inputs_version=1,
        )  # fmt: skip

        recompute_sql(
            organisation_id=organisation.pk,
            now=now,
            version=version,
            review_period=review_period(organisation),
        )

        assert _results(organisation) == engine
        for table, model in (("gap", GapScore), ("coverage", TeamSkillCoverage)):
            for pk, computed_at, inputs_version in model.objects.values_list(
                "pk", "computed_at", "inputs_version"
            ):
                expected = (EARLIER, 1) if (table, pk) in right else (now, version)
                assert (computed_at, inputs_version) == expected


def _stamped(organisation) -> dict[tuple, tuple]:
    """Each materialised row by its key: (its figures, its stamp)."""
    rows: dict[tuple, tuple] = {}
    for values in GapScore.objects.filter(organisation=organisation).values_list(
        "person_id", "role_id", "kind", "gap", "readiness", "met", "total", "essential_alert",
        "missing", "computed_at", "inputs_version",
    ):  # fmt: skip
        rows[("gap", *values[:3])] = (values[3:-2], values[-2:])
    for values in TeamSkillCoverage.objects.filter(organisation=organisation).values_list(
        "team_id", "skill_id", "target", "coverage", "required_by", "avg_shortfall",
        "bus_factor_risk", "covered_by", "computed_at", "inputs_version",
    ):  # fmt: skip
        rows[("coverage", *values[:2])] = (values[2:-2], values[-2:])
    return rows


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_one_persons_rows_rebuilt_after_their_ratings_change_are_the_engines(data) -> None:
    """The incremental path on PostgreSQL (``person_rows_sql``, what a saved rating runs): after
    new ratings of one person in a few skills, their gap scores and those skills' coverage in
    every team they count in are what the Python engine computes for the whole organisation;
    the rows whose figures moved carry the new stamp and nothing else was touched."""
    organisation = _build(data)
    draw = data.draw
    now, version = timezone.now(), 11
    with organisation_context(organisation):
        recompute_python(organisation, now=EARLIER, version=1)  # the results before the change
        before = _stamped(organisation)
        person = draw(st.sampled_from(list(Person.objects.filter(organisation=organisation))))
        skills = draw(
            st.lists(st.sampled_from(list(Skill.objects.filter(organisation=organisation))),
                     min_size=1, max_size=3, unique=True)
        )  # fmt: skip
        for skill in skills:
            for _ in range(draw(st.integers(1, 2))):
                not_applicable = draw(st.integers(0, 9)) == 0
                Rating.objects.create(
                    organisation=organisation, person=person, skill=skill,
                    source=draw(st.sampled_from(["self", "manager", "import", "review"])),
                    level=None if not_applicable else draw(st.integers(0, 5)),
                    not_applicable=not_applicable,
                    rated_at=T0 + timedelta(days=draw(st.sampled_from([*DAYS, 45, 90]))),
                )  # fmt: skip

        person_rows_sql(
            organisation_id=organisation.pk, person_id=person.pk,
            skill_ids=[s.pk for s in skills], now=now, version=version,
            review_period=review_period(organisation),
        )  # fmt: skip
        incremental = _stamped(organisation)
        recompute_python(organisation, now=now, version=version)
        engine = _stamped(organisation)

        assert incremental.keys() == before.keys()  # a rating changes figures, not which rows exist
        assert {k: v[0] for k, v in incremental.items()} == {k: v[0] for k, v in engine.items()}
        for key, (figures, stamp) in incremental.items():
            moved = figures != before[key][0]
            assert stamp == ((now, version) if moved else (EARLIER, 1))


def _both(organisation) -> tuple[tuple[list, list], tuple[list, list]]:
    now = timezone.now()
    with organisation_context(organisation):
        recompute_python(organisation, now=now, version=1)
        engine = _results(organisation)
        GapScore.objects.filter(organisation=organisation).delete()
        TeamSkillCoverage.objects.filter(organisation=organisation).delete()
        recompute_sql(
            organisation_id=organisation.pk,
            now=now,
            version=1,
            review_period=review_period(organisation),
        )
        return engine, _results(organisation)


def test_a_validation_exactly_one_review_period_older_than_the_self_rating_still_counts() -> None:
    organisation = OrganisationFactory(review_period_days=30)
    with organisation_context(organisation):
        skill = SkillFactory(organisation=organisation)
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        RoleRequirement.objects.create(
            organisation=organisation, role=role, skill=skill, target_level=5
        )
        person = PersonFactory(organisation=organisation)
        RoleAssignment.objects.create(organisation=organisation, person=person, role=role)
        for source, level, days in (("manager", 4, 0), ("self", 2, 30)):
            Rating.objects.create(
                organisation=organisation,
                person=person,
                skill=skill,
                source=source,
                level=level,
                rated_at=T0 + timedelta(days=days),
            )
    engine, sql = _both(organisation)
    assert sql == engine
    [score] = sql[0]
    assert score[8][0]["level"] == 4  # the manager's level: 30 days is within the period


def test_an_average_shortfall_on_a_tie_rounds_half_to_even_in_both() -> None:
    """Eight members, one a level short: 1/8 = 0.125 rounds to 0.12 (half to even)."""
    organisation = OrganisationFactory()
    with organisation_context(organisation):
        skill = SkillFactory(organisation=organisation)
        role = RoleProfile.objects.create(organisation=organisation, name="Backend")
        RoleRequirement.objects.create(
            organisation=organisation, role=role, skill=skill, target_level=3
        )
        team = Team.objects.create(organisation=organisation, name="Platform")
        for i in range(8):
            person = PersonFactory(organisation=organisation)
            TeamMembership.objects.create(organisation=organisation, team=team, person=person)
            RoleAssignment.objects.create(organisation=organisation, person=person, role=role)
            Rating.objects.create(
                organisation=organisation, person=person, skill=skill, level=2 if i == 0 else 3,
                source="self", rated_at=T0,
            )  # fmt: skip
    engine, sql = _both(organisation)
    assert sql == engine
    [coverage] = sql[1]
    assert coverage[5] == Decimal("0.12")
