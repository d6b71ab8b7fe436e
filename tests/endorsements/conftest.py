"""The endorsements cast: the conftest's worlds (the member reports to the manager; HR and the
admin read everyone's ratings) plus a plain colleague of the member, and a skill to endorse."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import User
from accounts.permissions import Role
from endorsements.models import Endorsement
from endorsements.services import endorsement_create
from skills.models import Skill
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from teams.services import person_link_user
from tests.conftest import World
from tests.factories import MembershipFactory, UserFactory
from tests.skills.factories import SkillFactory


def add_colleague(world: World, name: str = "Cleo Colleague") -> User:
    """Another member of ``world``'s organisation, with their person record."""
    organisation = world.organisation
    slug = organisation.slug
    user = UserFactory(email=f"{name.split()[0].lower()}@{slug}.example", name=name)
    MembershipFactory(organisation=organisation, role=Role.MEMBER, user=user)
    with organisation_context(organisation):
        world.people[name] = person_link_user(organisation=organisation, user=user)
    return user


@pytest.fixture
def colleague(org_a: World) -> User:
    return add_colleague(org_a)


@pytest.fixture
def python(org_a: World) -> Skill:
    return SkillFactory(organisation=org_a.organisation, name="Python")


@pytest.fixture
def endorse(django_capture_on_commit_callbacks) -> Callable[..., Endorsement]:
    """``endorse(world, by, person, skill, note="")`` through the service, emails sent."""

    def _endorse(
        world: World, by: User, person: Person, skill: Skill, note: str = ""
    ) -> Endorsement:
        with (
            django_capture_on_commit_callbacks(execute=True),
            organisation_context(world.organisation),
        ):
            return endorsement_create(
                organisation=world.organisation, person=person, skill=skill, note=note, by=by
            )

    return _endorse


def endorsements_of(world: World) -> list[Endorsement]:
    with organisation_context(world.organisation):
        return list(
            Endorsement.objects.select_related("endorser", "person", "skill").order_by("pk")
        )
