"""The verified-domains page, as an admin uses it without JavaScript: claim, read the TXT record to
publish, verify against the real DNS server, remove after a confirmation page. Other roles get 403
(like every admin page), outsiders 404, and another organisation's domain ids read as missing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from domains.models import Domain
from skillsmap.core.tenancy import organisation_context
from tests.domains.conftest import Zone
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db


def _url(name: str, slug: str = "alpha", **kwargs: int) -> str:
    return reverse(f"domains:{name}", kwargs={"org_slug": slug, **kwargs})


def _count(world) -> int:
    with organisation_context(world.organisation):
        return Domain.objects.count()


def _audit_count(world) -> int:
    with organisation_context(world.organisation):
        return AuditEvent.objects.filter(verb__startswith="domain.").count()


def test_an_admin_claims_verifies_and_removes_a_domain(org_a, login, dns_zone: Zone):
    client = login(org_a.admin)
    page = client.get(_url("domain_list"))
    assert page.status_code == 200
    assert "No domain claimed yet." in page.content.decode()

    claimed = client.post(_url("domain_claim"), {"name": "Alpha.Example"}, follow=True)
    body = claimed.content.decode()
    assert "alpha.example is claimed" in body
    with organisation_context(org_a.organisation):
        domain = Domain.objects.get()
    # The record to publish, copyable as it stands.
    assert "<code>_skillsmap-challenge.alpha.example</code>" in body
    assert f"<code>skillsmap-domain-verification={domain.token}</code>" in body
    assert "Pending" in body

    missing = client.post(_url("domain_verify", domain_id=domain.pk), follow=True)
    assert "No TXT record found at _skillsmap-challenge.alpha.example" in missing.content.decode()

    dns_zone.set_txt(domain.record_name, domain.record_value)
    verified = client.post(_url("domain_verify", domain_id=domain.pk), follow=True)
    body = verified.content.decode()
    assert "alpha.example is verified." in body
    assert "Verified" in body
    assert _url("domain_verify", domain_id=domain.pk) not in body  # nothing left to verify

    confirm = client.get(_url("domain_remove", domain_id=domain.pk))
    assert confirm.status_code == 200
    assert "Remove alpha.example?" in confirm.content.decode()
    assert "can no longer sign in addresses at alpha.example" in confirm.content.decode()
    assert _count(org_a) == 1  # the confirmation page changes nothing
    removed = client.post(_url("domain_remove", domain_id=domain.pk), follow=True)
    assert "alpha.example was removed." in removed.content.decode()
    assert _count(org_a) == 0
    assert _audit_count(org_a) == 4  # claimed, failed check, verified, removed


def test_a_refused_claim_shows_the_reason_on_the_form_and_writes_nothing(org_a, login):
    response = login(org_a.admin).post(_url("domain_claim"), {"name": "gmail.com"})
    assert response.status_code == 400
    assert "gmail.com is a public email provider" in response.content.decode()
    assert _count(org_a) == 0 and _audit_count(org_a) == 0
    empty = login(org_a.admin).post(_url("domain_claim"), {"name": ""})
    assert empty.status_code == 400
    assert "Enter the domain, e.g. acme.example." in empty.content.decode()


def test_b_claiming_a_domain_a_verified_is_refused_without_naming_a(org_a, org_b, login):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    response = login(org_b.admin).post(_url("domain_claim", "beta"), {"name": "alpha.example"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "This domain is already verified by another organisation." in body
    assert org_a.organisation.name not in body
    assert _count(org_b) == 0 and _audit_count(org_b) == 0


@pytest.mark.parametrize("role", ["member", "manager", "hr"])
def test_roles_below_admin_cannot_manage_domains(org_a, login, role):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    client = login(org_a.user(role))
    assert client.get(_url("domain_list")).status_code == 403
    assert client.post(_url("domain_claim"), {"name": "new.example"}).status_code == 403
    assert client.post(_url("domain_verify", domain_id=domain.pk)).status_code == 403
    assert client.get(_url("domain_remove", domain_id=domain.pk)).status_code == 403
    assert client.post(_url("domain_remove", domain_id=domain.pk)).status_code == 403
    assert _count(org_a) == 1 and _audit_count(org_a) == 0
    # Nor do they see the menu entry.
    home = client.get(reverse("accounts:member_list", kwargs={"org_slug": "alpha"}))
    assert _url("domain_list") not in home.content.decode()


def test_the_admin_finds_the_page_in_the_organisation_menu(org_a, login):
    home = login(org_a.admin).get(reverse("accounts:member_list", kwargs={"org_slug": "alpha"}))
    assert f'href="{_url("domain_list")}"' in home.content.decode()


def test_an_outsider_gets_404(org_a, outsider, login):
    client = login(outsider)
    assert client.get(_url("domain_list")).status_code == 404
    assert client.post(_url("domain_claim"), {"name": "x.example"}).status_code == 404


def test_another_organisations_domain_reads_as_missing(org_a, org_b, login):
    theirs = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    client = login(org_b.admin)
    for url in (
        _url("domain_verify", "beta", domain_id=theirs.pk),
        _url("domain_remove", "beta", domain_id=theirs.pk),
    ):
        assert client.post(url).status_code == 404
    assert client.get(_url("domain_remove", "beta", domain_id=theirs.pk)).status_code == 404
    assert client.post(_url("domain_verify", "beta", domain_id=987_654)).status_code == 404
    page = client.get(_url("domain_list", "beta")).content.decode()
    assert "alpha.example" not in page
    assert _count(org_a) == 1 and _audit_count(org_a) == 0 and _audit_count(org_b) == 0


def test_the_list_page_reads_the_domains_in_a_fixed_number_of_queries(
    org_a, login, django_assert_max_num_queries
):
    for n in range(5):
        DomainFactory(organisation=org_a.organisation, name=f"d{n}.example", verified=n % 2 == 0)
    client = login(org_a.admin)
    client.get(_url("domain_list"))  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get(_url("domain_list")).status_code == 200
