"""One team average gap (``reports.gaps.team_average_gap``), two presentations: the trend snapshot
stores 0 for a team without members in a current role, the dashboard lists such a team last
without an average (and says why) and rounds to 0.1."""

from datetime import date
from decimal import Decimal

import pytest

from reports.models import GapScore, TeamSnapshot
from reports.recompute import recompute_organisation
from reports.selectors import organisation_dashboard
from reports.snapshots import snapshot_take
from skillsmap.core.tenancy import organisation_context
from tests.factories import TeamFactory
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
