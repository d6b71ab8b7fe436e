"""The domains API with personal tokens, as an integration uses it: claim, read the record,
verify against the real DNS server, remove. Admins only; another organisation's domain is 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.services import api_token_create
from domains.models import Domain
from skillsmap.core.tenancy import organisation_context
from tests.domains.conftest import Zone
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(db):
    def _client(user) -> APIClient:
        client = APIClient()
        secret = api_token_create(user=user, name="test")[1]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return _client


def _count(world) -> int:
    with organisation_context(world.organisation):
        return Domain.objects.count()


def _audits(world) -> list[str]:
    with organisation_context(world.organisation):
        return list(
            AuditEvent.objects.filter(verb__startswith="domain.")
            .order_by("at", "id")
            .values_list("verb", flat=True)
        )


BASE = "/api/v1/orgs/alpha/domains/"


def test_claim_verify_read_and_remove_through_the_api(org_a, api, dns_zone: Zone):
    client = api(org_a.admin)
    created = client.post(BASE, {"name": "Alpha.Example"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["name"] == "alpha.example" and body["verified"] is False
    assert body["record_name"] == "_skillsmap-challenge.alpha.example"
    assert body["record_value"].startswith("skillsmap-domain-verification=")
    # Claiming it again is no error: the same claim, 200.
    again = client.post(BASE, {"name": "alpha.example"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]

    failed = client.post(f"{BASE}{body['id']}/verify/")
    assert failed.status_code == 200
    assert failed.json()["verified"] is False
    assert failed.json()["last_error"].startswith("No TXT record found")

    dns_zone.set_txt(body["record_name"], body["record_value"])
    verified = client.post(f"{BASE}{body['id']}/verify/")
    assert verified.status_code == 200
    assert verified.json()["verified"] is True and verified.json()["verified_at"]
    assert verified.json()["last_error"] == ""

    listed = client.get(BASE).json()
    assert [(d["name"], d["verified"]) for d in listed["results"]] == [("alpha.example", True)]
    assert client.get(f"{BASE}{body['id']}/").json()["verified"] is True

    assert client.delete(f"{BASE}{body['id']}/").status_code == 204
    assert client.get(f"{BASE}{body['id']}/").status_code == 404
    assert _audits(org_a) == [
        "domain.claimed",
        "domain.verification_failed",
        "domain.verified",
        "domain.removed",
    ]


def test_refusals_are_400s_with_the_reason_and_write_nothing(org_a, org_b, api):
    DomainFactory(organisation=org_b.organisation, name="beta.example", verified=True)
    client = api(org_a.admin)
    public = client.post(BASE, {"name": "gmail.com"}, format="json")
    assert public.status_code == 400
    assert public.json()["errors"] == {
        "name": ["gmail.com is a public email provider; claim your organisation's own domain."]
    }
    taken = client.post(BASE, {"name": "beta.example"}, format="json")
    assert taken.status_code == 400
    assert taken.json()["detail"] == "This domain is already verified by another organisation."
    assert org_b.organisation.name not in taken.content.decode()
    unknown_field = client.post(BASE, {"name": "a.example", "organisation": 1}, format="json")
    assert unknown_field.status_code == 400
    assert _count(org_a) == 0 and _audits(org_a) == []


def test_verifying_a_name_another_organisation_verified_meanwhile_is_a_400(
    org_a, org_b, api, dns_zone: Zone
):
    mine = DomainFactory(organisation=org_a.organisation, name="shared.example")
    DomainFactory(organisation=org_b.organisation, name="shared.example", verified=True)
    dns_zone.set_txt(mine.record_name, mine.record_value)
    response = api(org_a.admin).post(f"{BASE}{mine.pk}/verify/")
    assert response.status_code == 400
    assert response.json()["detail"] == "This domain is already verified by another organisation."
    with organisation_context(org_a.organisation):
        assert Domain.objects.get(pk=mine.pk).verified_at is None
    assert _audits(org_a) == []


def test_b_admin_gets_404_for_every_one_of_as_domains(org_a, org_b, api):
    theirs = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    client = api(org_b.admin)
    base = f"/api/v1/orgs/beta/domains/{theirs.pk}/"
    assert client.get(base).status_code == 404
    assert client.delete(base).status_code == 404
    assert client.post(f"{base}verify/").status_code == 404
    assert client.get("/api/v1/orgs/beta/domains/").json()["results"] == []
    # And A's URL itself: B's admin is not a member there.
    assert client.get(f"{BASE}{theirs.pk}/").status_code == 404
    assert _count(org_a) == 1 and _audits(org_a) == [] and _audits(org_b) == []


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_roles_below_admin_get_403(org_a, api, role):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    client = api(org_a.user(role))
    assert client.get(BASE).status_code == 403
    assert client.post(BASE, {"name": "new.example"}, format="json").status_code == 403
    assert client.get(f"{BASE}{domain.pk}/").status_code == 403
    assert client.post(f"{BASE}{domain.pk}/verify/").status_code == 403
    assert client.delete(f"{BASE}{domain.pk}/").status_code == 403
    assert _count(org_a) == 1 and _audits(org_a) == []
