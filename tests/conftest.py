"""Two organisations, each with an admin, hr, manager and member, and an outsider who belongs to
neither: the cast of every tenancy test."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Membership, Organisation, User
from accounts.permissions import Role
from skills.services.scale import scale_install_default
from skillsmap.core.tenancy import organisation_context
from teams.models import Person
from teams.services import person_link_user
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# A real SMTP server for any test that asks for it (tests/smtp.py).
from tests.smtp import smtp_server  # noqa: F401


@dataclass
class World:
    """One organisation: a membership and a person per role. The member reports to the manager."""

    organisation: Organisation
    memberships: dict[str, Membership] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.memberships[role].user

    @property
    def admin(self) -> User:
        return self.user("admin")

    @property
    def hr(self) -> User:
        return self.user("hr")

    @property
    def manager(self) -> User:
        return self.user("manager")

    @property
    def member(self) -> User:
        return self.user("member")


def build_world(slug: str, name: str) -> World:
    organisation = OrganisationFactory(slug=slug, name=name)
    world = World(organisation)
    for role in Role:
        world.memberships[role.value] = MembershipFactory(
            organisation=organisation,
            role=role,
            user=UserFactory(email=f"{role.value}@{slug}.example"),
        )
    with organisation_context(organisation):
        for role, membership in world.memberships.items():
            world.people[role] = person_link_user(organisation=organisation, user=membership.user)
        scale_install_default(organisation=organisation)
        world.people["member"].manager = world.people["manager"]
        world.people["member"].save(update_fields=["manager"])
    return world


@pytest.fixture
def org_a(db: None) -> World:
    return build_world("alpha", "Alpha Ltd")


@pytest.fixture
def org_b(db: None) -> World:
    return build_world("beta", "Beta GmbH")


@pytest.fixture
def outsider(db: None) -> User:
    return UserFactory(email="outsider@elsewhere.example")


@pytest.fixture
def login(client: Client) -> Callable[[User], Client]:
    def _login(user: User) -> Client:
        client.force_login(user)
        return client

    return _login


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres`` need row-level security. On SQLite they are skipped, but CI sets
    REQUIRE_POSTGRES=1 so that a misconfigured run fails instead of passing without them."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    if os.environ.get("REQUIRE_POSTGRES"):
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL.")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def pg() -> None:
    assert connection.vendor == "postgresql"
