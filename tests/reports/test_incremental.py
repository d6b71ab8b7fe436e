"""Incremental freshness: a rating change rebuilds the rows it affects, exactly as a full recompute
would write them, in the change's own transaction."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from accounts.models import Organisation
from reports.incremental import recompute_person
from reports.models import GapScore, TeamSkillCoverage
from reports.recompute import recompute_organisation
from roles.models import RoleProfile
from roles.services import role_assign, role_requirement_set
from skills.models import RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.tenancy import organisation_context
from teams.models import Team
from tests.factories import PersonFactory, TeamFactory, TeamMembershipFactory
from tests.reports.test_recompute import _backend_team
from tests.skills.factories import RatingFactory


def _results(organisation: Organisation) -> tuple[list[tuple], list[tuple]]:
    """Every materialised figure, without the bookkeeping (when, from which version)."""
    with organisation_context(organisation):
        scores = sorted(
            GapScore.objects.values_list(
                "person_id", "role_id", "kind", "gap", "readiness", "met", "total",
                "essential_alert", "missing",
            )
        )  # fmt: skip
        coverage = sorted(
            TeamSkillCoverage.objects.values_list(
                "team_id", "skill_id", "target", "coverage", "required_by", "avg_shortfall",
                "bus_factor_risk", "covered_by",
            )
        )  # fmt: skip
    return scores, coverage


def _bigger_world(world):
    """The Backend team inside a parent team, a sibling team, a third person with a target role,
    and someone who has left."""
    team, api, sql, role = _backend_team(world)
    organisation = world.organisation
    with organisation_context(organisation):
        parent = TeamFactory(organisation=organisation, name="Engineering")
        Team.objects.filter(pk=team.pk).update(parent=parent)
        sibling = TeamFactory(organisation=organisation, name="Data", parent=parent)
        lead = RoleProfile.objects.create(organisation=organisation, name="Lead")
        role_requirement_set(role=lead, skill=api, target_level=5, weight=Decimal(2), by=None)
        third = PersonFactory(organisation=organisation)
        TeamMembershipFactory(organisation=organisation, team=sibling, person=third)
        role_assign(organisation=organisation, person=third, role=role, by=None)
        role_assign(
            organisation=organisation, person=world.people["member"], role=lead, kind="target",
            by=None,
        )  # fmt: skip
        RatingFactory(organisation=organisation, person=third, skill=api, level=4)
        gone = PersonFactory(organisation=organisation, is_active=False)
        TeamMembershipFactory(organisation=organisation, team=team, person=gone)
        RatingFactory(organisation=organisation, person=gone, skill=api, level=5)
    return api, sql


@pytest.mark.django_db
def test_a_self_rating_leaves_the_same_rows_as_a_full_recompute(org_a):
    api, _ = _bigger_world(org_a)
    organisation = org_a.organisation
    recompute_organisation(organisation_id=organisation.pk)
    before = _results(organisation)
    cache.clear()

    with organisation_context(organisation):
        # member: API 2 → 4 covers API in their team and the parent, and changes both gaps
        rating_set(
            organisation=organisation, person=org_a.people["member"], skill=api, level=4,
            source=RatingSource.SELF, by=org_a.member,
        )  # fmt: skip
    incremental = _results(organisation)
    assert incremental != before  # the change reached the materialised rows at once
    assert Organisation.objects.get(pk=organisation.pk).results_are_fresh

    recompute_organisation(organisation_id=organisation.pk)
    assert _results(organisation) == incremental


@pytest.mark.django_db
def test_a_manager_validation_down_to_zero_matches_a_full_recompute(org_a):
    _, sql = _bigger_world(org_a)
    organisation = org_a.organisation
    recompute_organisation(organisation_id=organisation.pk)
    before = _results(organisation)
    with organisation_context(organisation):
        rating_set(
            organisation=organisation, person=org_a.people["member"], skill=sql, level=0,
            source=RatingSource.MANAGER, by=org_a.manager, note="Not yet on our schemas.",
        )  # fmt: skip
    incremental = _results(organisation)
    assert incremental != before
    recompute_organisation(organisation_id=organisation.pk)
    assert _results(organisation) == incremental


@pytest.mark.django_db
def test_recompute_person_removes_the_rows_of_someone_who_left(org_a):
    _bigger_world(org_a)
    organisation = org_a.organisation
    recompute_organisation(organisation_id=organisation.pk)
    member = org_a.people["member"]
    with organisation_context(organisation):
        member.is_active = False
        member.save(update_fields=["is_active"])
    recompute_person(organisation_id=organisation.pk, person_id=member.pk)
    incremental = _results(organisation)
    assert not [s for s in incremental[0] if s[0] == member.pk]
    recompute_organisation(organisation_id=organisation.pk)
    assert _results(organisation) == incremental


@pytest.mark.django_db
def test_a_change_while_results_lag_still_enqueues_the_full_recompute(
    org_a, django_capture_on_commit_callbacks, monkeypatch
):
    _, _, sql, _ = _backend_team(org_a)
    organisation = org_a.organisation
    sent = []
    monkeypatch.setattr(
        "reports.freshness.recompute_enqueue", lambda **kwargs: sent.append(kwargs) or True
    )
    # Never recomputed: the role assignments above left the results behind.
    assert not Organisation.objects.get(pk=organisation.pk).results_are_fresh
    with django_capture_on_commit_callbacks(execute=True), organisation_context(organisation):
        rating_set(
            organisation=organisation, person=org_a.people["member"], skill=sql, level=5,
            source=RatingSource.SELF, by=org_a.member,
        )  # fmt: skip
    assert sent == [{"organisation_id": organisation.pk}]
    assert not Organisation.objects.get(pk=organisation.pk).results_are_fresh
