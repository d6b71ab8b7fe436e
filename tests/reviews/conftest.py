"""The cast of the campaign tests: in each organisation a team led by its manager, with the
member and the manager in it, two skills its role requires, a third on the member's profile; and
HR outside the team. Launches run with their after-commit work (the emails) executed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from accounts.models import User
from reviews.models import Campaign
from reviews.services import campaign_launch
from roles.services import role_assign, role_profile_create, role_requirement_set
from skills.models import ProfileSkill, Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Team, TeamManager
from tests.conftest import World
from tests.factories import TeamFactory, TeamMembershipFactory
from tests.skills.factories import SkillFactory

# The campaigns' clock: launched on Monday 1 June 2026, due on Tuesday 30 June.
LAUNCH = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DUE = date(2026, 6, 30)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """A frozen clock at the launch; tests move it with ``clock.move_to(...)``."""
    with time_machine.travel(LAUNCH, tick=False) as traveller:
        yield traveller


@dataclass
class Cast:
    world: World
    team: Team
    python: Skill
    sql: Skill
    docker: Skill  # on the member's profile only


def cast_of(world: World) -> Cast:
    organisation = world.organisation
    with organisation_context(organisation):
        team = TeamFactory(organisation=organisation, name="Platform")
        TeamManager.objects.create(
            organisation=organisation, team=team, person=world.people["manager"]
        )
        for role in ("manager", "member"):
            TeamMembershipFactory(organisation=organisation, team=team, person=world.people[role])
        python = SkillFactory(organisation=organisation, name="Python")
        sql = SkillFactory(organisation=organisation, name="SQL")
        docker = SkillFactory(organisation=organisation, name="Docker")
        role = role_profile_create(organisation=organisation, name="Backend", by=world.admin)
        role_requirement_set(role=role, skill=python, target_level=4, by=world.admin)
        role_requirement_set(role=role, skill=sql, target_level=2, by=world.admin)
        for who in ("manager", "member"):
            role_assign(
                organisation=organisation, person=world.people[who], role=role, by=world.admin
            )
        ProfileSkill.objects.create(
            organisation=organisation, person=world.people["member"], skill=docker
        )
    return Cast(world, team, python, sql, docker)


@pytest.fixture
def cast_a(org_a: World) -> Cast:
    return cast_of(org_a)


@pytest.fixture
def cast_b(org_b: World) -> Cast:
    return cast_of(org_b)


@pytest.fixture
def launch(
    clock: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> Callable[..., Campaign]:
    """``campaign_launch`` inside the organisation, its emails sent on commit at once."""

    def _launch(world: World, by: User | None = None, **fields: Any) -> Campaign:
        fields.setdefault("name", "Spring review")
        fields.setdefault("due_on", DUE)
        with (
            django_capture_on_commit_callbacks(execute=True),
            organisation_context(world.organisation),
        ):
            return campaign_launch(organisation=world.organisation, by=by or world.hr, **fields)

    return _launch
