"""A role requirement may ask for a certification by name: set on the role page and in the API,
shown on the role profile, copied with the role; the person's readiness page says whether they
hold it, current (any case of its name), beside the gap score, which does not change."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from reports.models import GapScore
from reports.recompute import recompute_organisation
from roles.models import RoleRequirement
from roles.selectors import role_certification_checks
from roles.services import (
    role_assign,
    role_profile_copy,
    role_profile_create,
    role_requirement_set,
)
from skills.models import RatingSource
from skills.services.ratings import rating_set
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from tests.certifications.conftest import days
from tests.factories import CertificationFactory
from tests.skills.factories import SkillFactory

pytestmark = pytest.mark.django_db

CKA = "Certified Kubernetes Administrator"


@pytest.fixture
def platform(org_a):
    """A role asking for Kubernetes at 4 with the CKA, held by the member (rated 2) as current."""
    organisation = org_a.organisation
    with organisation_context(organisation):
        kubernetes = SkillFactory(organisation=organisation, name="Kubernetes")
        role = role_profile_create(organisation=organisation, name="Platform", by=org_a.hr)
        role_requirement_set(
            role=role, skill=kubernetes, target_level=4, certification=f"  {CKA} ", by=org_a.hr
        )
        role_assign(
            organisation=organisation, person=org_a.people["member"], role=role, by=org_a.hr
        )
        rating_set(
            organisation=organisation,
            person=org_a.people["member"],
            skill=kubernetes,
            level=2,
            source=RatingSource.SELF,
            by=org_a.member,
        )
    recompute_organisation(organisation_id=organisation.pk)
    return role, kubernetes


def _requirement(world, role) -> RoleRequirement:
    with organisation_context(world.organisation):
        return RoleRequirement.objects.get(role=role)


def _gap(world) -> GapScore:
    with organisation_context(world.organisation):
        return GapScore.objects.get(person=world.people["member"])


def _gap_page(client, world) -> str:
    response = client.get(f"/o/alpha/people/{world.people['member'].pk}/gap/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_service_keeps_the_name_tidy_and_audits_it(org_a, platform):
    role, _ = platform
    assert _requirement(org_a, role).certification == CKA
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.filter(verb="role.requirement_set").latest("pk")
    assert event.after["certification"] == CKA


def test_a_name_too_long_is_refused_and_nothing_changes(org_a, platform):
    role, kubernetes = platform
    with organisation_context(org_a.organisation), pytest.raises(ServiceError) as refused:
        role_requirement_set(
            role=role, skill=kubernetes, target_level=3, certification="x" * 201, by=org_a.hr
        )
    assert "certification" in refused.value.message_dict
    requirement = _requirement(org_a, role)
    assert (requirement.target_level, requirement.certification) == (4, CKA)


def test_a_copied_role_asks_for_the_same_certification(org_a, platform):
    role, _ = platform
    with organisation_context(org_a.organisation):
        copy = role_profile_copy(role=role, by=org_a.hr)
    assert _requirement(org_a, copy).certification == CKA


def test_hr_sets_it_on_the_role_page_and_everyone_sees_it_on_the_profile(org_a, login, platform):
    role, kubernetes = platform
    response = login(org_a.hr).post(
        f"/o/alpha/roles/{role.pk}/requirements/",
        {
            "skill": kubernetes.pk,
            "target_level": 4,
            "importance": "essential",
            "weight": "1",
            "certification": "CKAD",
        },
    )
    assert response.status_code == 302
    assert _requirement(org_a, role).certification == "CKAD"
    page = login(org_a.member).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert '<th scope="col">Certification</th>' in page and "<td>CKAD</td>" in page
    form = login(org_a.hr).get(f"/o/alpha/roles/{role.pk}/").content.decode()
    assert 'name="certification"' in form


def test_the_api_sets_and_shows_it_and_a_put_without_it_asks_for_none(org_a, platform):
    role, kubernetes = platform
    client = APIClient()
    client.force_authenticate(org_a.hr)
    url = f"/api/v1/orgs/alpha/roles/{role.pk}/requirements/{kubernetes.pk}/"
    response = client.put(url, {"target_level": 4, "certification": "CKS"}, format="json")
    assert response.status_code == 200 and response.json()["certification"] == "CKS"
    detail = client.get(f"/api/v1/orgs/alpha/roles/{role.pk}/").json()
    assert detail["requirements"][0]["certification"] == "CKS"
    assert client.put(url, {"target_level": 4}, format="json").json()["certification"] == ""
    assert _requirement(org_a, role).certification == ""


@pytest.mark.parametrize(
    ("held_name", "expires", "shown"),
    [
        (CKA.upper(), None, "Held"),  # any case of the name
        (CKA, 20, "Held"),  # expiring soon is still current
        (CKA, -1, "Expired"),
        ("CKAD", None, "Not held"),  # another certification
    ],
)
def test_the_gap_page_says_whether_the_person_holds_it_and_the_score_is_unchanged(
    org_a, login, platform, held_name, expires, shown
):
    before = _gap(org_a)
    CertificationFactory(
        organisation=org_a.organisation,
        person=org_a.people["member"],
        name=held_name,
        issued_on=days(-400),
        expires_on=days(expires) if expires is not None else None,
    )
    recompute_organisation(organisation_id=org_a.organisation.pk)
    after = _gap(org_a)
    assert (after.gap, after.readiness, after.met) == (before.gap, before.readiness, before.met)
    for user in (org_a.member, org_a.manager, org_a.hr):
        html = _gap_page(login(user), org_a)
        assert "Certifications the role asks for" in html and CKA in html
        row = html.split(f"<td>{CKA}</td>", 1)[1].split("</tr>", 1)[0]
        assert f">{shown}</span>" in row


def test_no_certification_section_when_the_role_asks_for_none(org_a, login, platform):
    role, kubernetes = platform
    with organisation_context(org_a.organisation):
        role_requirement_set(role=role, skill=kubernetes, target_level=4, by=org_a.hr)
    assert "Certifications the role asks for" not in _gap_page(login(org_a.member), org_a)


def test_the_checks_selector_reads_another_persons_certifications_never(org_a, platform):
    role, _ = platform
    CertificationFactory(organisation=org_a.organisation, person=org_a.people["hr"], name=CKA)
    with organisation_context(org_a.organisation):
        [check] = role_certification_checks(
            organisation=org_a.organisation, person=org_a.people["member"], role_ids=[role.pk]
        )[role.pk]
    assert check.name == CKA and check.status is None and not check.held
