"""Endorsements never change the effective level (issue #16): the ratings, effective levels, gap
scores, coverage and the organisation's inputs version read the same before and after a person
is endorsed, hides an endorsement and has one withdrawn."""

from __future__ import annotations

import pytest

from accounts.models import Organisation
from endorsements.services import endorsement_hide, endorsement_withdraw
from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import recompute_organisation
from skills.models import Rating
from skills.selectors.levels import effective_levels
from skillsmap.core.tenancy import organisation_context
from tests.endorsements.conftest import add_colleague
from tests.reports.test_recompute import _backend_team

pytestmark = pytest.mark.django_db


def _figures(world):
    organisation = world.organisation
    with organisation_context(organisation):
        people = [world.people["member"].pk, world.people["manager"].pk]
        return {
            "ratings": list(Rating.objects.order_by("pk").values()),
            "effective": effective_levels(organisation=organisation, person_ids=people),
            "gaps": sorted(
                GapScore.objects.values_list("person_id", "role_id", "gap", "readiness")
            ),
            "coverage": sorted(
                TeamSkillCoverage.objects.values_list("team_id", "skill_id", "coverage", "target")
            ),
            "inputs_version": Organisation.objects.get(pk=organisation.pk).inputs_version,
        }


def test_endorsements_leave_levels_gaps_and_coverage_as_they_were(org_a, colleague, endorse):
    _team, api, sql, _role = _backend_team(org_a)
    recompute_organisation(organisation_id=org_a.organisation.pk)
    before = _figures(org_a)
    member = org_a.people["member"]
    dave = add_colleague(org_a, "Dave Dev")
    before["inputs_version"] = _figures(org_a)["inputs_version"]  # joining is not endorsing
    endorsements = [
        endorse(org_a, colleague, member, api, "Best API reviewer here."),
        endorse(org_a, dave, member, api),
        endorse(org_a, org_a.hr, member, sql),
        endorse(org_a, colleague, org_a.people["manager"], api),
    ]
    with organisation_context(org_a.organisation):
        endorsement_hide(endorsement=endorsements[1], by=org_a.member)
        endorsement_withdraw(endorsement=endorsements[2], by=org_a.hr)
    assert _figures(org_a) == before
    # And a recompute from scratch arrives at the same figures.
    recompute_organisation(organisation_id=org_a.organisation.pk)
    after = _figures(org_a)
    assert {k: v for k, v in after.items() if k != "inputs_version"} == {
        k: v for k, v in before.items() if k != "inputs_version"
    }
    # The member is at 2 in API Design with a 40 % gap, however many colleagues vouch for them.
    effective = after["effective"][(member.pk, api.pk)]
    assert effective.level == 2
    assert next(g for g in after["gaps"] if g[0] == member.pk)[2] == 40
