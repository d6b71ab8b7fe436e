"""The API's cast: the two organisations of tests/conftest.py, each furnished with a team led by
its manager, skills, a role profile with requirements, assignments, ratings, computed gap scores
and a finished export, so that every endpoint has real rows to return (and to withhold)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_token_create
from certifications.models import Certification
from notifications.kinds import Kind
from notifications.models import Notification
from reports.recompute import recompute_organisation
from roles.services import role_assign, role_profile_create, role_requirement_set
from skills.models import RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.jobqueue import job_start
from skillsmap.core.models import Job
from skillsmap.core.tenancy import organisation_context
from teams.models import TeamManager
from tests.conftest import World
from tests.factories import DomainFactory, ScimTokenFactory, TeamFactory, TeamMembershipFactory
from tests.skills.factories import SkillFactory


@dataclass
class Furnished:
    world: World
    ids: dict[str, int]

    @property
    def slug(self) -> str:
        return self.world.organisation.slug


def furnish(world: World, marker: str) -> Furnished:
    """Give ``world`` one of everything. Names carry ``marker`` so a leak is easy to spot."""
    organisation = world.organisation
    with organisation_context(organisation):
        team = TeamFactory(organisation=organisation, name=f"{marker} Platform")
        TeamManager.objects.create(
            organisation=organisation, team=team, person=world.people["manager"]
        )
        for role in ("manager", "member"):
            TeamMembershipFactory(organisation=organisation, team=team, person=world.people[role])
        python = SkillFactory(organisation=organisation, name=f"{marker} Python")
        sql = SkillFactory(organisation=organisation, name=f"{marker} SQL")
        profile = role_profile_create(
            organisation=organisation, name=f"{marker} Backend Engineer", by=world.admin
        )
        role_requirement_set(role=profile, skill=python, target_level=4, by=world.admin)
        role_requirement_set(role=profile, skill=sql, target_level=3, by=world.admin)
        for role in ("manager", "member"):
            role_assign(
                organisation=organisation, person=world.people[role], role=profile, by=world.admin
            )
        rating = rating_set(
            organisation=organisation,
            person=world.people["member"],
            skill=python,
            level=2,
            note=f"{marker} note",
            source=RatingSource.SELF,
            by=world.member,
        )
        recompute_organisation(organisation_id=organisation.pk)
        job = job_start(
            organisation=organisation,
            kind=Job.Kind.GAP_EXPORT,
            by=world.hr,
            filename="gap.csv",
            params={"format": "csv", "team_ids": []},
        )
        certification = Certification.objects.create(
            organisation=organisation,
            person=world.people["member"],
            name=f"{marker} certificate",
            issuer="CNCF",
            issued_on=date(2026, 1, 1),
        )
        # The member's own notification: the endpoints that read or mark one act on the caller's.
        notification = Notification.objects.create(
            organisation=organisation,
            recipient=world.member,
            kind=Kind.ENDORSEMENT,
            title=f"{marker} endorsed your Python",
        )
        from reviews.services import campaign_launch

        # Launched by the manager, so that both the manager and HR may close it.
        campaign = campaign_launch(
            organisation=organisation,
            by=world.manager,
            name=f"{marker} review",
            due_on=date(2099, 6, 30),
            teams=[team],
        )
        # A verified domain (#15): verifying it again asks no DNS server, so the sweep stays local.
        domain = DomainFactory(
            organisation=organisation, name=f"{marker.lower()}-corp.example", verified=True
        )
        # A SCIM token (#15), made by the organisation's admin.
        scim_token = ScimTokenFactory(
            organisation=organisation, name=f"{marker} Entra ID", created_by=world.admin
        )
    return Furnished(
        world,
        {
            "team_id": team.pk,
            "skill_id": python.pk,
            "person_id": world.people["member"].pk,
            "role_id": profile.pk,
            "job_id": job.pk,
            "rating_id": rating.pk,
            "certification_id": certification.pk,
            "campaign_id": campaign.pk,
            "notification_id": notification.pk,
            "domain_id": domain.pk,
            "scim_token_id": scim_token.pk,
        },
    )


@pytest.fixture
def alpha(org_a: World, django_capture_on_commit_callbacks) -> Furnished:
    # The export job runs on commit (Celery is eager in tests): run the callbacks now.
    with django_capture_on_commit_callbacks(execute=True):
        return furnish(org_a, "ALPHA")


@pytest.fixture
def beta(org_b: World, django_capture_on_commit_callbacks) -> Furnished:
    with django_capture_on_commit_callbacks(execute=True):
        return furnish(org_b, "BRAVO")


@pytest.fixture
def token_for(db: None) -> Callable[..., str]:
    def _token(user: User, **options: object) -> str:
        return api_token_create(user=user, name="test", **options)[1]  # type: ignore[arg-type]

    return _token


@pytest.fixture
def api(token_for: Callable[..., str]) -> Callable[..., APIClient]:
    """An API client that authenticates as ``user`` with a fresh personal token."""

    def _client(user: User, **options: object) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, **options)}")
        return client

    return _client


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Throttle and failure counters live in the cache; one test's requests must not count in the next.
    from django.core.cache import cache

    cache.clear()
