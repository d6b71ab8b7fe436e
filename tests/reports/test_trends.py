"""The trend charts and the dashboard as their readers meet them: the last point is the live
figure, a percentage and a count never share an axis, every chart has its figures as a table, and
a team without role profiles is listed with the reason it has no gap."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reports.models import GapScore, GapSnapshot, TeamSnapshot
from reports.recompute import recompute_organisation
from skillsmap.core.tenancy import organisation_context
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory, SkillFactory

pytestmark = pytest.mark.django_db


def _charts(content: str) -> dict[str, dict]:
    """Every chart spec on the page (``json_script``), by id."""
    return {
        m.group(1): json.loads(m.group(2))
        for m in re.finditer(
            r'<script id="([^"]+)" type="application/json">(.*?)</script>', content
        )
    }


def test_the_person_trend_ends_on_the_live_gap_not_the_last_snapshot(org_a, login):
    _team, _api, _sql, role = _backend_team(org_a)
    member = org_a.people["member"]
    today = timezone.localdate()
    with organisation_context(org_a.organisation):
        # Last week, before any rating, and this morning, before the latest ones were computed.
        for day in (today - timedelta(days=7), today):
            GapSnapshot.objects.create(
                organisation=org_a.organisation, day=day, person=member, role=role,
                kind="current", gap=Decimal(100),
            )  # fmt: skip
    recompute_organisation(organisation_id=org_a.organisation.pk)
    with organisation_context(org_a.organisation):
        live = GapScore.objects.get(person=member, kind="current").gap
    content = login(org_a.member).get(f"/o/alpha/people/{member.pk}/gap/").content.decode()
    chart = _charts(content)["person-trend"]
    assert chart["labels"] == [(today - timedelta(days=7)).isoformat(), f"{today} (now)"]
    current = next(s for s in chart["series"] if s["label"] == "Current role")
    assert current["data"] == [100.0, float(live)]
    assert live != 100
    assert "the last point is the figure above" in content


def test_every_chart_has_its_figures_as_a_table(org_a, login):
    _team, _api, _sql, role = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    member = org_a.people["member"]
    week_ago = timezone.localdate() - timedelta(days=7)
    with organisation_context(org_a.organisation):
        GapSnapshot.objects.create(
            organisation=org_a.organisation, day=week_ago, person=member, role=role,
            kind="current", gap=Decimal("87.5"),
        )  # fmt: skip
        TeamSnapshot.objects.create(
            organisation=org_a.organisation, day=week_ago, team=_team, avg_gap=Decimal(50),
            bus_factor_risks=5,
        )  # fmt: skip
    pages = [
        login(org_a.member).get(f"/o/alpha/people/{member.pk}/gap/").content.decode(),
        login(org_a.hr).get("/o/alpha/dashboard/").content.decode(),
    ]
    for content in pages:
        canvases = re.findall(r'<canvas data-chart="([^"]+)"', content)
        assert canvases
        assert content.count('<details class="chart-data">') == len(canvases)
    assert '<td class="num">88 %</td>' in pages[0]  # the week-old point, in the table
    assert '<th scope="row">' + week_ago.isoformat() + '</th><td class="num">5</td>' in pages[1]


def test_the_dashboard_never_puts_a_percentage_and_a_count_on_one_chart(org_a, login):
    team, _api, _sql, role = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    week_ago = timezone.localdate() - timedelta(days=7)
    with organisation_context(org_a.organisation):
        GapSnapshot.objects.create(
            organisation=org_a.organisation, day=week_ago, person=org_a.people["member"],
            role=role, kind="current", gap=Decimal(60),
        )  # fmt: skip
        TeamSnapshot.objects.create(
            organisation=org_a.organisation, day=week_ago, team=team, avg_gap=Decimal(60),
            bus_factor_risks=3,
        )  # fmt: skip
    charts = _charts(login(org_a.hr).get("/o/alpha/dashboard/").content.decode())
    assert len(charts) == 2
    gap, risks = charts["org-gap-trend"], charts["org-risk-trend"]
    assert gap["percent"] and [s["label"] for s in gap["series"]] == [
        "Average gap, current roles (%)"
    ]
    assert not risks["percent"] and [s["label"] for s in risks["series"]] == ["Bus-factor risks"]
    # Both end on today's live figures: the people's mean gap (40 % and 20 %), and the risks.
    assert gap["series"][0]["data"] == [60.0, 30.0]
    assert risks["series"][0]["data"][0] == 3


def test_the_dashboard_lists_teams_without_role_profiles_and_says_why(org_a, login):
    team, *_ = _backend_team(org_a)
    with organisation_context(org_a.organisation):
        design = TeamFactory(organisation=org_a.organisation, name="Design studio")
        person = PersonFactory(organisation=org_a.organisation)
        TeamMembershipFactory(organisation=org_a.organisation, team=design, person=person)
        skill = SkillFactory(organisation=org_a.organisation)
        RatingFactory(organisation=org_a.organisation, person=person, skill=skill, level=3)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    content = login(org_a.hr).get("/o/alpha/dashboard/").content.decode()
    section = content[content.index("Gap by team") : content.index("Gap by role")]
    assert team.name in section and "Design studio" in section
    row = section[section.index("Design studio") :]
    row = row[: row.index("</tr>")]
    assert "nobody here has a role profile" in row
