"""Claiming, verifying and removing an organisation's email domains.

A claim proves nothing; a TXT record at ``_skillsmap-challenge.<domain>`` holding the claim's token
does. A name verified by one organisation cannot be claimed or verified by another: the service
says so without naming the holder, and the database's unique index decides a race.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Organisation, User
from domains.dnscheck import Outcome, txt_lookup
from domains.models import Domain
from domains.selectors import domain_get_by_name, normalise_domain, verified_domain_organisation_id
from skillsmap.core.errors import ServiceError
from skillsmap.core.tenancy import organisation_context

# Addresses at these domains belong to their users, not to an organisation: whoever controls the
# DNS of gmail.com is Google, but a claim of it would at best be a mistake. A short list of the
# big providers is a guard against the mistake, not a complete registry.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk",
        "hotmail.fr", "live.com", "msn.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me",
        "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "yandex.com", "yandex.ru",
        "mail.ru", "zoho.com", "fastmail.com", "tutanota.com", "hey.com", "qq.com", "163.com",
        "126.com", "t-online.de", "orange.fr", "free.fr", "laposte.net", "libero.it",
    }
)  # fmt: skip

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

TAKEN = "This domain is already verified by another organisation."
INVALID = "Enter a domain name such as acme.example (no @, no http://, no path)."


def _validated_name(value: str) -> str:
    try:
        name = normalise_domain(value)
    except ValueError:
        raise ServiceError({"name": INVALID}) from None
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ServiceError({"name": INVALID})
    if labels[-1].isdigit():
        raise ServiceError({"name": "An IP address is not a domain; enter the domain name."})
    if name in PUBLIC_MAIL_DOMAINS:
        raise ServiceError(
            {"name": f"{name} is a public email provider; claim your organisation's own domain."}
        )
    return name


def domain_claim(*, organisation: Organisation, name: str, by: User) -> Domain:
    """Claim a domain for the organisation, pending until its TXT record is verified.

    Claiming a name the organisation already holds returns that claim unchanged.
    """
    clean = _validated_name(name)
    with organisation_context(organisation):
        existing = domain_get_by_name(organisation=organisation, name=clean)
        if existing is not None:
            return existing
        holder = verified_domain_organisation_id(domain=clean)
        if holder is not None and holder != organisation.pk:
            raise ServiceError({"name": TAKEN})
        try:
            with transaction.atomic():
                domain = Domain.objects.create(organisation=organisation, name=clean, created_by=by)
        except IntegrityError:
            # A second click or another admin claimed it a moment ago: same answer as above.
            existing = domain_get_by_name(organisation=organisation, name=clean)
            if existing is None:
                raise
            return existing
        audit_record(
            organisation=organisation,
            actor=by,
            verb="domain.claimed",
            target=domain,
            after={"name": clean, "record": domain.record_name},
        )
        return domain


def _failure(domain: Domain, answer_outcome: Outcome, values: tuple[str, ...], detail: str) -> str:
    where = domain.record_name
    if answer_outcome is Outcome.NO_RECORD:
        return f"No TXT record found at {where}. Add it, wait for DNS to publish it, and retry."
    if answer_outcome is Outcome.TIMEOUT:
        return "The DNS lookup timed out; nothing was decided. Try again in a minute."
    if answer_outcome is Outcome.FAILED:
        return f"The DNS lookup failed ({detail or 'no usable answer'}). Try again in a minute."
    found = len(values)
    return (
        f"The TXT record at {where} does not hold this domain's value "
        f"({found} other value{'s' if found != 1 else ''} found). "
        f"It must be exactly {domain.record_value}."
    )[:300]


def domain_verify(*, domain: Domain, by: User) -> Domain:
    """Look the TXT record up now. On success the domain is verified; otherwise ``last_error``
    says why (no record, another value, a DNS timeout or failure) and it stays pending.

    Raises ``ServiceError``, writing nothing, when another organisation holds the name verified.
    """
    organisation = domain.organisation
    with organisation_context(organisation):
        if domain.verified_at is not None:
            return domain
        holder = verified_domain_organisation_id(domain=domain.name)
        if holder is not None and holder != organisation.pk:
            raise ServiceError(TAKEN)
        # The lookup runs inside the request's transaction; it is bounded by DNS_TIMEOUT_SECONDS.
        answer = txt_lookup(domain.record_name)
        now = timezone.now()
        domain.last_checked_at = now
        if answer.outcome is Outcome.FOUND and domain.record_value in answer.values:
            domain.verified_at = now
            domain.last_error = ""
            try:
                with transaction.atomic():
                    domain.save(update_fields=["verified_at", "last_checked_at", "last_error"])
            except IntegrityError:
                # Another organisation's verification of the same name committed first.
                domain.verified_at = None
                raise ServiceError(TAKEN) from None
            audit_record(
                organisation=organisation,
                actor=by,
                verb="domain.verified",
                target=domain,
                before={"verified": False},
                after={"name": domain.name, "verified": True},
            )
            return domain
        domain.last_error = _failure(domain, answer.outcome, answer.values, answer.detail)
        reason = "wrong_value" if answer.outcome is Outcome.FOUND else answer.outcome.value
        domain.save(update_fields=["last_checked_at", "last_error"])
        audit_record(
            organisation=organisation,
            actor=by,
            verb="domain.verification_failed",
            target=domain,
            after={"name": domain.name, "reason": reason},
        )
        return domain


def domain_remove(*, domain: Domain, by: User) -> None:
    """Forget the domain. If it was verified, the organisation's identity provider can no longer
    sign in its addresses, and another organisation may now claim it."""
    organisation = domain.organisation
    with organisation_context(organisation):
        audit_record(
            organisation=organisation,
            actor=by,
            verb="domain.removed",
            target=domain,
            before={"name": domain.name, "verified": domain.verified_at is not None},
        )
        domain.delete()
