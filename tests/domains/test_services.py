"""Claiming and verifying a domain against a real DNS server (tests/domains/conftest.py): the
happy path, each way a check fails (no record, another value, a timeout), the names that are
refused, and one organisation's verified domain staying out of another's reach."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from domains.models import Domain
from domains.selectors import email_domain_verified, verified_domain_organisation_id
from domains.services import TAKEN, domain_claim, domain_remove, domain_verify
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context
from tests.domains.conftest import Zone
from tests.factories import DomainFactory

pytestmark = pytest.mark.django_db


def _domains(world) -> list[tuple[str, bool]]:
    with organisation_context(world.organisation):
        return [(d.name, d.verified_at is not None) for d in Domain.objects.order_by("name")]


def _verbs(world) -> list[str]:
    with organisation_context(world.organisation):
        return list(
            AuditEvent.objects.filter(verb__startswith="domain.")
            .order_by("at", "id")
            .values_list("verb", flat=True)
        )


def test_claim_then_publish_the_record_then_verify(org_a, dns_zone: Zone):
    domain = domain_claim(organisation=org_a.organisation, name=" Alpha.Example. ", by=org_a.admin)
    assert domain.name == "alpha.example"
    assert domain.record_name == "_skillsmap-challenge.alpha.example"
    assert domain.record_value == f"skillsmap-domain-verification={domain.token}"
    assert len(domain.token) >= 40
    assert not email_domain_verified(organisation=org_a.organisation, email="ann@alpha.example")

    # An unrelated TXT record next to ours does not confuse the check.
    dns_zone.set_txt(domain.record_name, "v=spf1 -all", domain.record_value)
    verified = domain_verify(domain=domain, by=org_a.admin)

    assert verified.verified_at is not None and verified.last_error == ""
    assert dns_zone.queries == ["_skillsmap-challenge.alpha.example"]
    assert email_domain_verified(organisation=org_a.organisation, email="Ann@ALPHA.example")
    assert verified_domain_organisation_id(domain="alpha.example") == org_a.organisation.pk
    assert _verbs(org_a) == ["domain.claimed", "domain.verified"]


def test_a_long_value_split_into_several_strings_still_matches(org_a, dns_zone: Zone):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    # DNS splits TXT data into strings of at most 255 bytes; dnslib sends a list as such strings.
    value = domain.record_value
    dns_zone.set_txt(domain.record_name, value)  # one string
    dns_zone.txt[domain.record_name] = [[value[:20], value[20:]]]  # type: ignore[list-item]
    assert domain_verify(domain=domain, by=org_a.admin).verified_at is not None


def test_a_missing_record_leaves_it_pending_with_a_clear_error(org_a, dns_zone: Zone):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    result = domain_verify(domain=domain, by=org_a.admin)
    assert result.verified_at is None
    assert result.last_error.startswith(
        "No TXT record found at _skillsmap-challenge.alpha.example."
    )
    assert result.last_checked_at is not None
    with organisation_context(org_a.organisation):
        stored = Domain.objects.get(pk=domain.pk)
        assert (stored.verified_at, stored.last_error) == (None, result.last_error)
        event = AuditEvent.objects.get(verb="domain.verification_failed")
        assert event.after == {"name": "alpha.example", "reason": "no_record"}


def test_a_record_with_another_token_is_not_enough(org_a, dns_zone: Zone):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    dns_zone.set_txt(domain.record_name, "skillsmap-domain-verification=someone-elses-token")
    result = domain_verify(domain=domain, by=org_a.admin)
    assert result.verified_at is None
    assert "does not hold this domain's value (1 other value found)" in result.last_error
    assert domain.record_value in result.last_error  # says what it must be
    assert not email_domain_verified(organisation=org_a.organisation, email="a@alpha.example")


def test_a_dns_timeout_decides_nothing_and_says_so(org_a, silent_dns):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example")
    result = domain_verify(domain=domain, by=org_a.admin)
    assert result.verified_at is None
    assert result.last_error == (
        "The DNS lookup timed out; nothing was decided. Try again in a minute."
    )
    with organisation_context(org_a.organisation):
        assert AuditEvent.objects.get(verb="domain.verification_failed").after["reason"] == (
            "timeout"
        )


def test_claiming_again_returns_the_same_claim_and_records_nothing_new(org_a):
    first = domain_claim(organisation=org_a.organisation, name="alpha.example", by=org_a.admin)
    again = domain_claim(organisation=org_a.organisation, name="ALPHA.EXAMPLE", by=org_a.hr)
    assert again.pk == first.pk and again.token == first.token
    assert _domains(org_a) == [("alpha.example", False)]
    assert _verbs(org_a) == ["domain.claimed"]


def test_an_international_name_is_stored_in_its_ascii_form(org_a):
    domain = domain_claim(organisation=org_a.organisation, name="Bücher.example", by=org_a.admin)
    assert domain.name == "xn--bcher-kva.example"
    again = domain_claim(
        organisation=org_a.organisation, name="xn--bcher-kva.example", by=org_a.admin
    )
    assert again.pk == domain.pk


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("gmail.com", "gmail.com is a public email provider"),
        ("Outlook.com", "outlook.com is a public email provider"),
        ("ann@alpha.example", "Enter a domain name such as acme.example"),
        ("https://alpha.example/", "Enter a domain name such as acme.example"),
        ("localhost", "Enter a domain name such as acme.example"),
        ("-bad-.example", "Enter a domain name such as acme.example"),
        ("a" * 64 + ".example", "Enter a domain name such as acme.example"),
        ("10.0.0.1", "An IP address is not a domain"),
        ("", "Enter a domain name such as acme.example"),
    ],
)
def test_bad_names_are_refused_with_a_clear_error_and_nothing_written(org_a, name, message):
    with pytest.raises(ServiceError) as error:
        domain_claim(organisation=org_a.organisation, name=name, by=org_a.admin)
    assert message in str(error.value)
    assert "name" in error.value.message_dict
    assert _domains(org_a) == [] and _verbs(org_a) == []


def test_b_cannot_claim_a_domain_a_has_verified_and_is_not_told_who(org_a, org_b):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    with pytest.raises(ServiceError) as error:
        domain_claim(organisation=org_b.organisation, name="Alpha.example", by=org_b.admin)
    assert str(error.value) == TAKEN
    assert org_a.organisation.name not in str(error.value)
    assert org_a.organisation.slug not in str(error.value)
    assert _domains(org_b) == [] and _verbs(org_b) == []
    assert _domains(org_a) == [("alpha.example", True)]


def test_b_cannot_verify_its_earlier_claim_once_a_has_verified(org_a, org_b, dns_zone: Zone):
    # Both claimed while the name was unproven; A proved it first.
    b_claim = DomainFactory(organisation=org_b.organisation, name="alpha.example")
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    # Even with B's own token published (whoever runs the DNS let it through), B is refused.
    dns_zone.set_txt(b_claim.record_name, b_claim.record_value)
    with pytest.raises(ServiceError) as error:
        domain_verify(domain=b_claim, by=org_b.admin)
    assert str(error.value) == TAKEN
    with organisation_context(org_b.organisation):
        stored = Domain.objects.get(pk=b_claim.pk)
        assert (stored.verified_at, stored.last_checked_at, stored.last_error) == (None, None, "")
    assert _verbs(org_b) == []
    assert dns_zone.queries == []  # refused before any lookup
    assert verified_domain_organisation_id(domain="alpha.example") == org_a.organisation.pk


def test_the_database_is_the_final_arbiter_of_one_verified_name(org_a, org_b):
    from django.db import IntegrityError, transaction

    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    b_claim = DomainFactory(organisation=org_b.organisation, name="alpha.example")
    with (
        organisation_context(org_b.organisation),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Domain.objects.filter(pk=b_claim.pk).update(verified_at="2026-01-01T00:00:00Z")
    assert _domains(org_b) == [("alpha.example", False)]


def test_removing_a_verified_domain_frees_it_and_is_audited(org_a, org_b):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    domain_remove(domain=domain, by=org_a.admin)
    assert _domains(org_a) == []
    assert verified_domain_organisation_id(domain="alpha.example") is None
    with organisation_context(org_a.organisation):
        event = AuditEvent.objects.get(verb="domain.removed")
        assert event.before == {"name": "alpha.example", "verified": True}
        assert event.actor == org_a.admin
    # Now B may claim it.
    domain_claim(organisation=org_b.organisation, name="alpha.example", by=org_b.admin)
    assert _domains(org_b) == [("alpha.example", False)]


def test_verifying_an_already_verified_domain_asks_dns_nothing(org_a, dns_zone: Zone):
    domain = DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    assert domain_verify(domain=domain, by=org_a.admin).verified_at == domain.verified_at
    assert dns_zone.queries == [] and _verbs(org_a) == []


def test_selectors_read_exact_names_only(org_a):
    DomainFactory(organisation=org_a.organisation, name="alpha.example", verified=True)
    assert verified_domain_organisation_id(domain="eu.alpha.example") is None
    assert verified_domain_organisation_id(domain="example") is None
    assert verified_domain_organisation_id(domain="") is None
    assert not email_domain_verified(organisation=org_a.organisation, email="a@eu.alpha.example")
