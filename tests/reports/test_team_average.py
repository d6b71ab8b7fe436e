"""One team average gap (``reports.gaps.team_average_gap``), two presentations: the trend snapshot
stores 0 for a team without members in a current role, the dashboard lists such a team last
without an average (and says why) and rounds to 0.1."""

from collections import Counter
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import gaps, selectors
from reports.models import GapScore, TeamSnapshot
from reports.recompute import recompute_organisation
from reports.selectors import dashboard_gaps, organisation_dashboard
from reports.snapshots import snapshot_take
from roles.models import RoleAssignment, RoleProfile
from skillsmap.core.tenancy import organisation_context
from teams.models import Team, TeamMembership
from tests.factories import OrganisationFactory, PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team

pytestmark = pytest.mark.django_db

DAY = date(2026, 9, 1)


def test_the_snapshot_and_the_dashboard_share_the_average_and_keep_their_presentation(org_a):
    organisation = org_a.organisation
    team, *_ = _backend_team(org_a)  # member 40 %, manager 20 %
    assert recompute_organisation(organisation_id=organisation.pk)
    with organisation_context(organisation):
        empty = TeamFactory(organisation=organisation, name="Nobody yet")
        GapScore.objects.filter(person=org_a.people["manager"], kind="current").update(
            gap=Decimal("20.10")
        )
    snapshot_take(organisation_id=organisation.pk, day=DAY)
    with organisation_context(organisation):
        stored = dict(TeamSnapshot.objects.filter(day=DAY).values_list("team_id", "avg_gap"))
        rows = organisation_dashboard(organisation=organisation)["teams"]
    assert stored == {team.pk: Decimal("30.05"), empty.pk: Decimal("0")}
    assert [(r["team"], r["people"], r["avg_gap"]) for r in rows] == [
        (team, 2, Decimal("30.0")),
        (empty, 0, None),
    ]


# --- The dashboard's team table against the definition -----------------------------------------

# Two-decimal gaps with ties and thirds (33.33 + 66.67: equal means of unequal sums), and 0.
GAPS = [Decimal(g) for g in ("0", "12.50", "20.10", "33.33", "40", "66.67", "100")]
# Names whose lower-case forms differ, so that their order is the same under any collation.
NAMES = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


def _score(organisation, person, role, kind, gap):
    return GapScore(
        organisation=organisation, person=person, role=role, kind=kind, gap=gap,
        readiness=100 - gap, met=0, total=1, computed_at=timezone.now(), inputs_version=1,
    )  # fmt: skip


def _random_organisation(draw):
    """Teams (some empty), people (some inactive, some in two teams or none) and their stored
    current-role gaps (and target-role ones, which the table must ignore)."""
    organisation = OrganisationFactory()
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name="Role")
        names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
        teams = [
            Team.objects.create(
                organisation=organisation,
                name="".join(c.upper() if draw(st.booleans()) else c for c in name),
            )
            for name in names
        ]
        scores = []
        for _ in range(draw(st.integers(0, 12))):
            person = PersonFactory(organisation=organisation, is_active=draw(st.integers(0, 4)) > 0)
            for team in draw(st.lists(st.sampled_from(teams), unique=True, max_size=2)):
                TeamMembership.objects.create(organisation=organisation, team=team, person=person)
            for kind in RoleAssignment.Kind.values:
                if draw(st.booleans()):
                    scores.append(
                        _score(organisation, person, role, kind, draw(st.sampled_from(GAPS)))
                    )
        GapScore.objects.bulk_create(scores)
    return organisation, teams


def _expected(organisation, teams):
    """The table by the definition: ``gaps.team_current_gaps`` and ``gaps.team_average_gap`` over
    every row, the highest exact mean first, then the teams without one by name."""
    with organisation_context(organisation):
        memberships = list(
            TeamMembership.objects.filter(person__is_active=True).values_list(
                "team_id", "person_id"
            )
        )
        current = dict(GapScore.objects.filter(kind="current").values_list("person_id", "gap"))
    by_team = gaps.team_current_gaps(memberships, current)
    people = Counter(team_id for team_id, _ in memberships)
    average = {t.pk: gaps.team_average_gap(by_team.get(t.pk, [])) for t in teams}
    order = sorted(
        teams,
        key=lambda t: (average[t.pk] is None, -(average[t.pk] or 0), t.name.lower(), t.name, t.pk),
    )
    return [
        (
            t.pk,
            people[t.pk],
            len(by_team.get(t.pk, [])),
            None if average[t.pk] is None else round(average[t.pk], 1),
        )
        for t in order
    ]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), size=st.integers(1, 3))
def test_the_dashboards_team_pages_are_the_definition_over_every_row(data, size):
    organisation, teams = _random_organisation(data.draw)
    with (
        mock.patch.object(selectors, "DASHBOARD_TEAMS_PAGE_SIZE", size),
        organisation_context(organisation),
    ):
        first = dashboard_gaps(organisation=organisation).teams
        pages = [first] + [
            dashboard_gaps(organisation=organisation, teams_page=n).teams
            for n in range(2, first.pages + 1)
        ]
        beyond = dashboard_gaps(organisation=organisation, teams_page=first.pages + 1).teams
    shown = [
        (r["team"].pk, r["people"], r["with_role"], r["avg_gap"]) for p in pages for r in p.rows
    ]
    # Every team of this organisation once, in order, and no other organisation's (each example
    # leaves one behind).
    assert shown == _expected(organisation, teams)
    assert first.total == len(teams) and first.pages == -(-len(teams) // size)
    assert [p.page for p in pages] == list(range(1, first.pages + 1))
    assert all(len(p.rows) == size for p in pages[:-1]) and 1 <= len(pages[-1].rows) <= size
    assert beyond.rows == pages[-1].rows and beyond.page == first.pages


def test_the_dashboard_orders_equal_averages_by_name_and_then_the_teams_without_one(org_a):
    organisation = org_a.organisation
    with organisation_context(organisation):
        role = RoleProfile.objects.create(organisation=organisation, name="Role")
        # The same mean, a third, from different sums and counts; then a team of one person
        # without a role and one of nobody.
        figures = {
            "beta": ["100", "100", "0", "0", "0", "0"],
            "Alpha": ["100", "0", "0"],
            "gamma": ["80"],
            "delta": [],
        }
        teams, scores = {}, []
        for name, team_gaps in figures.items():
            teams[name] = TeamFactory(organisation=organisation, name=name)
            for gap in [*team_gaps, None]:
                person = PersonFactory(organisation=organisation)
                TeamMembershipFactory(organisation=organisation, team=teams[name], person=person)
                if gap is not None:
                    scores.append(_score(organisation, person, role, "current", Decimal(gap)))
        empty = TeamFactory(organisation=organisation, name="Crew")
        GapScore.objects.bulk_create(scores)
        rows = organisation_dashboard(organisation=organisation)["teams"]
    assert [(r["team"].name, r["avg_gap"]) for r in rows] == [
        ("gamma", Decimal("80.0")),
        ("Alpha", Decimal("33.3")),
        ("beta", Decimal("33.3")),
        ("Crew", None),
        ("delta", None),
    ]
    assert rows[3]["team"] == empty and rows[3]["people"] == 0
    assert rows[4]["people"] == 1 and rows[4]["with_role"] == 0


def test_mean_gap_is_the_team_average_of_a_list():
    assert gaps.mean_gap(Decimal("100.00"), 3) == gaps.team_average_gap(
        [Decimal("33.33"), Decimal("66.67"), Decimal("0")]
    )
    assert gaps.mean_gap(Decimal(0), 0) is None
